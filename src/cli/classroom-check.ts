/**
 * `classroom-check`: the paper's claims, measured on the classroom model with the `abft` command
 * itself (run in-process, one engine for every run), as one JSON document:
 *  - Table 1: vanilla vs ABFT accuracy on the held-out test queries of each task;
 *  - Table 2: ABFT vs the end-to-end baseline, in-domain (Acc_ID) and on another task (Acc_OD);
 *  - Table 3: demonstration and template consistency before and after ABFT;
 *  - Table 4: the ablations (no PID, no filter, no punishment, no reward).
 * Every figure is over several seeds (the training prompts, their order and the test
 * demonstrations), with its mean and standard deviation.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { summarize } from '../bench/stats';
import { InputError } from '../data/dataset';
import { main } from './abft';
import type { CliIo } from './abft-io';
import type { CliTool } from './run';

export const CLASSROOM_CHECK_USAGE = `usage: classroom-check [options]
  --model DIR          the model (default public/classroom-model)
  --tasks LIST         classroom tasks of Table 1 and 3 (default word-first,category-in-filler)
  --other TASK         the other task of Table 2's Acc_OD (default category-in-filler, held out of pretraining)
  --seeds LIST         seeds of every run (default 0,1,2)
  --lr X               ABFT's and the baseline's rate (default 1e-3)
  --steps N            steps of each run (default 32)
  --queries N          test queries per evaluation, 2 demonstration sets each (default 64)
  --consistency-queries N   queries of Table 3's consistency measures, which run each query in many
                       variants (default 32)
Prints one JSON document; progress goes to stderr.`;

interface Options {
  readonly model: string;
  readonly tasks: readonly string[];
  readonly other: string;
  readonly seeds: readonly number[];
  readonly lr: string;
  readonly steps: string;
  readonly queries: string;
  readonly consistencyQueries: string;
}

/** Mean and (sample) standard deviation, rounded for reading. */
export function spread(values: readonly number[]): { mean: number; sd: number; values: number[] } {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const sd = values.length < 2 ? 0 : Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (values.length - 1));
  const round = (x: number) => Math.round(x * 1e4) / 1e4;
  return { mean: round(mean), sd: round(sd), values: values.map(round) };
}

function parse(argv: readonly string[]): Options {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      model: { type: 'string', default: 'public/classroom-model' },
      tasks: { type: 'string', default: 'word-first,category-in-filler' },
      other: { type: 'string', default: 'category-in-filler' },
      seeds: { type: 'string', default: '0,1,2' },
      lr: { type: 'string', default: '1e-3' },
      steps: { type: 'string', default: '32' },
      queries: { type: 'string', default: '64' },
      'consistency-queries': { type: 'string', default: '32' },
    },
    strict: true,
  });
  const seeds = values.seeds.split(',').map(Number);
  if (seeds.some((s) => !Number.isInteger(s) || s < 0)) throw new InputError(`--seeds ${values.seeds}: expected whole numbers >= 0, comma-separated`);
  return { model: values.model, tasks: values.tasks.split(','), other: values.other, seeds, lr: values.lr, steps: values.steps, queries: values.queries, consistencyQueries: values['consistency-queries'] };
}

/** Runs one `abft` command in-process; its last stdout line is its JSON result. A failed run is an error naming it. */
async function abft(io: CliIo, argv: string[]): Promise<string> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { stdout: (l) => out.push(l), stderr: (l) => err.push(l), engine: io.engine });
  if (code !== 0) throw new InputError(`abft ${argv.join(' ')} exited with ${code}: ${err.join(' ').slice(0, 500)}`);
  return out.at(-1) ?? '';
}

interface RunResult {
  readonly before: number;
  readonly after: number;
  readonly passingHeads: number;
  /** The median step time, the first step (pipeline compilation) left out. */
  readonly msPerStep: number;
  readonly out: string;
}

export const classroomCheckTool: CliTool = {
  name: 'classroom-check',
  usage: CLASSROOM_CHECK_USAGE,
  async run(argv, io) {
    const o = parse(argv);
    const work = await mkdtemp(join(tmpdir(), 'classroom-check-'));
    const started = Date.now();
    let runs = 0;
    const train = async (task: string, seed: number, extra: string[] = []): Promise<RunResult> => {
      const out = join(work, `run-${runs++}`);
      io.stderr(`classroom-check: train ${task} seed ${seed} ${extra.join(' ')}`);
      await abft(io, ['train', '--model', o.model, '--data', `classroom/${task}`, '--seed', String(seed), '--lr', o.lr, '--steps', o.steps, '--queries', o.queries, '--measures', 'test', '--out', out, ...extra]);
      const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8'));
      const { before, after } = report.evaluation;
      const passing = report.steps.map((s: { passingHeads: number }) => s.passingHeads);
      const ms = report.steps.map((s: { ms: number }) => s.ms);
      return {
        msPerStep: summarize(ms.length > 1 ? ms.slice(1) : ms).median,
        before: before.test.accuracy,
        after: after.test.accuracy,
        passingHeads: passing.reduce((a: number, b: number) => a + b, 0) / passing.length,
        out,
      };
    };
    const evaluate = async (model: string, task: string, seed: number, measures: string, queries: string) =>
      JSON.parse(await abft(io, ['eval', '--model', model, '--data', `classroom/${task}`, '--seed', String(seed), '--queries', queries, '--measures', measures])).report;
    const evalOn = async (model: string, task: string, seed: number): Promise<number> => (await evaluate(model, task, seed, 'test', o.queries)).test.accuracy;
    const consistencyOf = async (model: string, task: string, seed: number): Promise<[number, number]> => {
      const report = await evaluate(model, task, seed, 'demos,templates', o.consistencyQueries);
      return [report.demonstrationConsistency.consistency, report.templateConsistency.consistency];
    };
    try {
      const table1: Record<string, unknown> = {};
      const table3: Record<string, unknown> = {};
      const main0 = o.tasks[0];
      let mainRuns: RunResult[] = [];
      for (const task of o.tasks) {
        const results: RunResult[] = [];
        const before: [number, number][] = [];
        const after: [number, number][] = [];
        for (const seed of o.seeds) {
          const run = await train(task, seed);
          results.push(run);
          before.push(await consistencyOf(o.model, task, seed));
          after.push(await consistencyOf(run.out, task, seed));
        }
        if (task === main0) mainRuns = results;
        table1[task] = {
          vanilla: spread(results.map((r) => r.before)),
          abft: spread(results.map((r) => r.after)),
          gain: spread(results.map((r) => r.after - r.before)),
          passingHeadsPerStep: spread(results.map((r) => r.passingHeads)),
        };
        table3[task] = {
          queries: Number(o.consistencyQueries),
          demonstrationConsistency: { before: spread(before.map((c) => c[0])), after: spread(after.map((c) => c[0])) },
          templateConsistency: { before: spread(before.map((c) => c[1])), after: spread(after.map((c) => c[1])) },
        };
      }
      const table2: Record<string, unknown> = { task: main0, other: o.other };
      const vanillaOd: number[] = [];
      const abftOd: number[] = [];
      const e2e: RunResult[] = [];
      const e2eOd: number[] = [];
      for (const [i, seed] of o.seeds.entries()) {
        vanillaOd.push(await evalOn(o.model, o.other, seed));
        abftOd.push(await evalOn(mainRuns[i].out, o.other, seed));
        const baseline = await train(main0, seed, ['--objective', 'end-to-end']);
        e2e.push(baseline);
        e2eOd.push(await evalOn(baseline.out, o.other, seed));
      }
      Object.assign(table2, {
        vanilla: { accId: spread(mainRuns.map((r) => r.before)), accOd: spread(vanillaOd) },
        abft: { accId: spread(mainRuns.map((r) => r.after)), accOd: spread(abftOd) },
        endToEnd: { accId: spread(e2e.map((r) => r.after)), accOd: spread(e2eOd) },
        // The paper's time column: ABFT stops after the last layer's attention, the baseline runs the whole model and its head.
        msPerStep: { abft: spread(mainRuns.map((r) => r.msPerStep)), endToEnd: spread(e2e.map((r) => r.msPerStep)) },
        timeRatio: spread(e2e.map((r, i) => r.msPerStep / mainRuns[i].msPerStep)),
      });
      const table4: Record<string, unknown> = { task: main0, abft: spread(mainRuns.map((r) => r.after)) };
      for (const ablation of ['no-pid', 'no-filter', 'no-punishment', 'no-reward']) {
        const results: RunResult[] = [];
        for (const seed of o.seeds) results.push(await train(main0, seed, ['--ablation', ablation]));
        table4[ablation] = spread(results.map((r) => r.after));
      }
      io.stdout(
        JSON.stringify(
          {
            tool: 'classroom-check',
            model: o.model,
            settings: { lr: Number(o.lr), steps: Number(o.steps), queries: Number(o.queries), prompts: 2 * Number(o.queries), seeds: o.seeds, k: 4, classes: 2 },
            table1,
            table2,
            table3,
            table4,
            seconds: Math.round((Date.now() - started) / 1000),
          },
          null,
          1,
        ),
      );
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  },
};
