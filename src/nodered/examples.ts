import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../core/errors.ts';

/** flows/ of the repository: the example flows (one tab each) and the hub's nodes. */
export const FLOWS_DIR = fileURLToPath(new URL('../../flows/', import.meta.url));

/** Sample input the example flows read in the demo: copied into the data dir, if absent. */
const SAMPLES: readonly { from: string; to: string }[] = [{ from: 'samples/rtu-students.csv', to: 'imports/rtu-students.csv' }];

/** The example flow files: flows/*.json. */
export function exampleFlowFiles(dir: string = FLOWS_DIR): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => join(dir, f));
}

export function readFlowFile(file: string): Record<string, unknown>[] {
  const flow = JSON.parse(readFileSync(file, 'utf8')) as unknown;
  if (!Array.isArray(flow)) throw new ConfigError(`${file}: a flow file is a JSON array of nodes`);
  return flow as Record<string, unknown>[];
}

/**
 * Demo: writes the example flows into the flow file when it does not exist yet (an admin's later
 * edits are kept), and copies the samples the flows read into the data dir. Returns the tabs seeded.
 */
export function seedExamples(flowFile: string, dataDir: string, dir: string = FLOWS_DIR): string[] {
  for (const s of SAMPLES) {
    const to = join(dataDir, s.to);
    if (!existsSync(to) && existsSync(join(dir, s.from))) {
      mkdirSync(dirname(to), { recursive: true });
      copyFileSync(join(dir, s.from), to);
    }
  }
  if (existsSync(flowFile)) return [];
  const nodes = exampleFlowFiles(dir).flatMap(readFlowFile);
  mkdirSync(dirname(flowFile), { recursive: true });
  writeFileSync(flowFile, `${JSON.stringify(nodes, null, 4)}\n`);
  return nodes.filter((n) => n.type === 'tab').map((n) => String(n.label));
}
