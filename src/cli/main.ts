import { createReadStream } from 'node:fs';
import { access } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import type { Classifier } from '../core/classifier.js';
import { DEFAULT_METADATA_PATH, loadNodeClassifier, MODEL_PATHS } from '../runtime/node-model.js';

const USAGE = `Usage: dga-edge classify [FILE] [options]

Classifies domain names, one per line, from FILE or standard input, and prints one JSON object per line
in input order: {"domain","name","scored","score","dga"} (+ "family" when dga, "unscored" for a label with no
Latin letter or digit), or {"domain","error":{"code","message"}} for a line that is not a valid domain name.
Same model and pre-processing as the HTTP API.

Options:
  --precision P      int8 (default: ${MODEL_PATHS.int8})
                     or float (${MODEL_PATHS.float})
  --model PATH       another ONNX model file (overrides --precision)
  --metadata PATH    model metadata (default: ${DEFAULT_METADATA_PATH})
  --threshold X      score at or above which "dga" is true (default: the model's)
  --family-min-probability X
                     top-family probability below which "family" is "other" (default: the
                     model's open-set cut-off; 0 = always the top known family)
  --families K       add the top-K families of every name (models with a family head)
  --batch N          names per model call (default: 2048)
  -h, --help         this text
`;

/** Writes a chunk and waits when stdout's buffer is full, so huge inputs don't pile up in memory. */
function write(out: NodeJS.WritableStream, text: string): Promise<void> | void {
  if (!out.write(text)) return new Promise((resolve) => out.once('drain', () => resolve()));
}

async function classifyStream(classifier: Classifier, input: NodeJS.ReadableStream, out: NodeJS.WritableStream, batchSize: number, families: number) {
  const lines = createInterface({ input, crlfDelay: Infinity });
  let batch: string[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const results = await classifier.classify(batch, { families });
    batch = [];
    await write(out, results.map((r) => JSON.stringify(r)).join('\n') + '\n');
  };
  for await (const line of lines) {
    batch.push(line);
    if (batch.length >= batchSize) await flush();
  }
  await flush();
}

/** Runs the CLI; resolves to the process exit code (0 ok, 1 runtime failure, 2 usage error). */
export async function main(argv: string[], io = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        model: { type: 'string' },
        precision: { type: 'string', default: 'int8' },
        metadata: { type: 'string' },
        threshold: { type: 'string' },
        'family-min-probability': { type: 'string' },
        batch: { type: 'string', default: '2048' },
        families: { type: 'string', default: '0' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    io.stderr.write(`dga-edge: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout.write(USAGE);
    return 0;
  }
  const [command, file, ...rest] = positionals;
  if (command !== 'classify' || rest.length > 0) {
    io.stderr.write(`dga-edge: ${command ? `unknown command "${positionals.join(' ')}"` : 'missing command'}\n\n${USAGE}`);
    return 2;
  }
  const precision = values.precision;
  if (precision !== 'int8' && precision !== 'float') {
    io.stderr.write(`dga-edge: --precision must be int8 or float, got "${precision}"\n`);
    return 2;
  }
  const batchSize = Number(values.batch);
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    io.stderr.write(`dga-edge: --batch must be a positive integer, got "${values.batch}"\n`);
    return 2;
  }
  const families = Number(values.families);
  if (!Number.isInteger(families) || families < 0 || families > 10) {
    io.stderr.write(`dga-edge: --families must be an integer in 0..10, got "${values.families}"\n`);
    return 2;
  }
  let threshold: number | undefined;
  if (values.threshold !== undefined) {
    threshold = Number(values.threshold);
    if (!(threshold >= 0 && threshold <= 1)) {
      io.stderr.write(`dga-edge: --threshold must be a number in 0..1, got "${values.threshold}"\n`);
      return 2;
    }
  }
  let familyMinProbability: number | undefined;
  if (values['family-min-probability'] !== undefined) {
    familyMinProbability = Number(values['family-min-probability']);
    if (!(familyMinProbability >= 0 && familyMinProbability < 1)) {
      io.stderr.write(`dga-edge: --family-min-probability must be a number in [0, 1), got "${values['family-min-probability']}"\n`);
      return 2;
    }
  }
  if (file !== undefined && file !== '-') {
    try {
      await access(file);
    } catch {
      io.stderr.write(`dga-edge: cannot read input file "${file}"\n`);
      return 2;
    }
  }

  let classifier: Classifier;
  try {
    classifier = await loadNodeClassifier({ precision, modelPath: values.model, metadataPath: values.metadata, threshold, familyMinProbability });
  } catch (error) {
    io.stderr.write(`dga-edge: cannot load the model: ${(error as Error).message}\n`);
    return 1;
  }
  const input = file === undefined || file === '-' ? io.stdin : createReadStream(file);
  if (families > 0 && !classifier.familyNames) {
    io.stderr.write('dga-edge: this model has no family head; omit --families\n');
    return 2;
  }
  await classifyStream(classifier, input, io.stdout, batchSize, families);
  return 0;
}
