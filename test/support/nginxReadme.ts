import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const README = join(import.meta.dirname, '..', '..', 'README.md');

/**
 * The nginx config the README shows under `<!-- tested: <name> -->`, so the
 * e2e tests run the very snippet an operator copies, not a look-alike.
 */
export function readmeNginxConfig(name: string): string {
  const text = readFileSync(README, 'utf8');
  const marker = `<!-- tested: ${name} -->\n\`\`\`nginx\n`;
  const start = text.indexOf(marker);
  if (start === -1) throw new Error(`README.md has no nginx block marked "<!-- tested: ${name} -->"`);
  const body = start + marker.length;
  return text.slice(body, text.indexOf('\n```', body) + 1);
}

/** `config` with each README value put to the test's own, failing when the README no longer holds one. */
export function withTestValues(config: string, values: ReadonlyArray<readonly [string, string]>): string {
  return values.reduce((text, [readme, test]) => {
    if (!text.includes(readme)) throw new Error(`the README's nginx block no longer contains "${readme}"`);
    return text.replaceAll(readme, test);
  }, config);
}
