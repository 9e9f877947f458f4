import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type * as tfTypes from '@tensorflow/tfjs';

/**
 * Saving and loading a tfjs LayersModel as `model.json` + `weights.bin` in a directory. Pure tfjs has no
 * `file://` handler (only tfjs-node does, which cannot be installed here), so this is the project's own
 * IOHandler. The files are the standard tfjs LayersModel format, readable by any tfjs loader.
 */
export const MODEL_JSON = 'model.json';
export const WEIGHTS_BIN = 'weights.bin';

/** The parsed model.json: topology plus a manifest saying how weights.bin is cut into tensors. */
export interface LayersModelJson {
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  modelTopology: Record<string, unknown>;
  weightsManifest: { paths: string[]; weights: tfTypes.io.WeightsManifestEntry[] }[];
  [key: string]: unknown;
}

/** An IOHandler for `model.save(...)` that writes `dir/model.json` and `dir/weights.bin`. */
export function fileSaveHandler(dir: string): tfTypes.io.IOHandler {
  return {
    async save(artifacts: tfTypes.io.ModelArtifacts): Promise<tfTypes.io.SaveResult> {
      await mkdir(dir, { recursive: true });
      const weightData = artifacts.weightData;
      if (weightData === undefined || artifacts.weightSpecs === undefined) {
        throw new Error('fileSaveHandler: model has no weights to save');
      }
      const buffers = Array.isArray(weightData) ? weightData : [weightData];
      const bytes = Buffer.concat(buffers.map((b) => Buffer.from(b)));
      const json: LayersModelJson = {
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        modelTopology: artifacts.modelTopology as Record<string, unknown>,
        weightsManifest: [{ paths: [`./${WEIGHTS_BIN}`], weights: artifacts.weightSpecs }],
      };
      await writeFile(join(dir, WEIGHTS_BIN), bytes);
      await writeFile(join(dir, MODEL_JSON), JSON.stringify(json));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', weightDataBytes: bytes.length } };
    },
  };
}

/** Reads `dir/model.json` and the weight files its manifest names. */
export async function readLayersModelFiles(dir: string): Promise<{ json: LayersModelJson; weights: Uint8Array }> {
  const json = JSON.parse(await readFile(join(dir, MODEL_JSON), 'utf8')) as LayersModelJson;
  if (!json.modelTopology || !Array.isArray(json.weightsManifest)) {
    throw new Error(`${join(dir, MODEL_JSON)} is not a tfjs LayersModel (no modelTopology / weightsManifest)`);
  }
  const parts: Buffer[] = [];
  for (const group of json.weightsManifest) {
    for (const path of group.paths) parts.push(await readFile(join(dir, path)));
  }
  return { json, weights: new Uint8Array(Buffer.concat(parts)) };
}

/** An IOHandler for `tf.loadLayersModel(...)` reading what `fileSaveHandler` wrote. */
export function fileLoadHandler(dir: string): tfTypes.io.IOHandler {
  return {
    async load(): Promise<tfTypes.io.ModelArtifacts> {
      const { json, weights } = await readLayersModelFiles(dir);
      return {
        modelTopology: json.modelTopology,
        weightSpecs: json.weightsManifest.flatMap((g) => g.weights),
        weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) as ArrayBuffer,
        format: json.format,
        generatedBy: json.generatedBy,
        convertedBy: json.convertedBy ?? undefined,
      };
    },
  };
}
