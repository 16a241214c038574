/** The live charts' plot height, shared so a chart and its empty note take the same room. */
export const CHART_HEIGHT = 150;

/** The width a chart is drawn at before its box is measured (the Train step may be hidden then). */
export const CHART_INITIAL_WIDTH = 320;
