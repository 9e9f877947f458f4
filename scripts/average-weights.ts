// Averages the weights of several tfjs models of one topology (stochastic weight averaging over the epochs
// of a run kept with `train.ts --keep-epochs`) and writes the result as a tfjs model directory. The average
// has no metadata of its own: evaluate it with `eval.ts --format tfjs --tfjs <out>` and the run's metadata.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseFlagsAndOperands, runScript, UsageError } from './lib/cli-flags.js';
import { snapModelToInt8Grid } from './lib/fake-quantize.js';
import { fileSaveHandler } from './lib/tfjs-files.js';
import { setupWasmBackend } from './lib/tfjs-wasm-backend.js';
import { copyWeights, loadLayersModelDir } from './lib/train-model.js';

const HELP = `Usage: npx tsx scripts/average-weights.ts --out DIR [--int8-grid] MODEL_DIR MODEL_DIR...

Writes DIR/model.json + weights.bin whose every weight is the mean of that weight in the given tfjs model
directories (e.g. runs/x/checkpoint/epoch-00{3..8}/tfjs from train.ts --keep-epochs). The models must have
the same weights (names and shapes).

  --out DIR      output tfjs model directory (required)
  --int8-grid    snap the kernels the int8 export quantizes to their int8 values afterwards, as
                 quantization-aware training ends (use it for runs trained with --quantization-aware)
  --help         this text`;

async function main(): Promise<'help' | void> {
  const { values, operands } = parseFlagsAndOperands(process.argv.slice(2), {
    out: { type: 'string' },
    'int8-grid': { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  });
  if (values.help) return 'help';
  if (!values.out) throw new UsageError('--out is required');
  if (operands.length < 2) throw new UsageError(`give at least two model directories to average, got ${operands.length}`);
  for (const dir of operands) if (!existsSync(join(dir, 'model.json'))) throw new UsageError(`${dir} holds no model.json (a tfjs model directory)`);
  const tf = await setupWasmBackend();
  const first = await loadLayersModelDir(operands[0]!);
  const sums = first.getWeights().map((w) => w.clone());
  for (const dir of operands.slice(1)) {
    const model = await loadLayersModelDir(dir);
    try {
      copyWeights(model, first); // checks names and shapes against the first model
    } catch (error) {
      throw new UsageError(`${dir}: ${(error as Error).message}`);
    }
    model.getWeights().forEach((w, i) => {
      const next = tf.add(sums[i]!, w);
      sums[i]!.dispose();
      sums[i] = next;
    });
    model.dispose();
  }
  const means = sums.map((s) => tf.div(s, operands.length));
  first.setWeights(means);
  tf.dispose([...sums, ...means]);
  if (values['int8-grid']) snapModelToInt8Grid(first);
  await first.save(fileSaveHandler(resolve(values.out)));
  process.stderr.write(`average-weights: mean of ${operands.length} models${values['int8-grid'] ? ', snapped to the int8 grid' : ''} -> ${values.out}\n`);
}

runScript('average-weights', HELP, main);
