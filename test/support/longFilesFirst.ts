import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * Calls of the helpers that start a process or a real server (a `serve`, the CLI, Redis, PostgreSQL, nginx...): a
 * file with many of them spends long waiting on what they prove (signals, drains, timeouts) while using little CPU.
 */
const STARTS =
  /\b(startServe|runCli|spawn|spawnSync|startRedis\w*|startSentinel\w*|startPostgres\w*|startNginx\w*|startGroup|startDemo|supervise|serveWith)\s*\(/g;

const groupOrder = (file: TestSpecification) => file.project.config.sequence.groupOrder;
const isolates = (file: TestSpecification) => (file.project.config.isolate ? 1 : 0);

/**
 * The order the suite's files start in: the longest first, so that the long files' waits overlap the short
 * files' CPU and no long file starts last and holds the run alone. vitest knows each file's duration from the
 * last run in this checkout; a fresh clone (CI) has none, and vitest's own order then (largest files first)
 * started the long end-to-end files a minute into the run. Without durations for every file, a file's weight is
 * what it starts (STARTS), then its size.
 */
export class LongFilesFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const root = this.ctx.config.root;
    const durations = files.map(
      (file) => this.ctx.cache.getFileTestResults(`${file.project.name}:${relative(root, file.moduleId)}`)?.duration,
    );
    const weights = durations.every((duration) => duration !== undefined)
      ? durations
      : files.map((file) => {
          const text = readFileSync(file.moduleId, 'utf8');
          // Starts outweigh any size: a file of 100,000 characters weighs less than one start.
          return (text.match(STARTS)?.length ?? 0) + text.length / 1e5;
        });
    return (
      files
        .map((file, at) => ({ file, weight: weights[at]! }))
        // A project's `sequence.groupOrder` first, as in vitest's own order; then the files of isolating projects
        // after the others: a file with a process of its own among the shared files had a shared worker ended
        // for it, and the next shared file a new one that imported everything again.
        .sort(
          (a, b) =>
            groupOrder(a.file) - groupOrder(b.file) || isolates(a.file) - isolates(b.file) || b.weight - a.weight,
        )
        .map(({ file }) => file)
    );
  }
}
