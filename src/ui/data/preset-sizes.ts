import type { PresetId } from '../../data/presets';

/**
 * Rows of each preset's splits on the Hub (as of 2025), shown before loading so a user can tell a
 * 2k-row dataset from a 67k-row one; the loaded count is what the table then shows.
 */
export const PRESET_ROWS: Readonly<Record<PresetId, number>> = {
  sst2: 67_349,
  mr: 8_530,
  fp: 2_264,
  sst5: 8_544,
  trec: 5_952,
  subj: 8_000,
  tee: 5_052,
  teh: 9_000,
};
