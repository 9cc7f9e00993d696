// Renders the rule table (rules.ts) as the Markdown table in src/sandbox/README.md, between the
// `<!-- rules:begin -->` and `<!-- rules:end -->` markers; test/sandbox/rules.test.ts checks the
// README is current (ignoring the column padding biome adds). Regenerate with
// `npx node src/sandbox/rules-doc.ts --write && npx biome format --write src/sandbox/README.md`.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RULES } from './rules.ts';

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function rulesMarkdown(): string {
  const rows = RULES.map((r) => {
    const type = r.resource.replace(/^aws:/, '').replace(/:.*$/, '');
    return `| \`${r.id}\` | \`${type}\` ${cell(r.api)} | ${r.stage} | \`${r.error}\` | ${cell(r.message)} | [${cell(r.doc.title)}](${r.doc.url}) |`;
  });
  return [
    '| rule | resource, API | when | AWS error | message shape | AWS documentation |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
}

export const README = join(import.meta.dirname, 'README.md');
const BEGIN = '<!-- rules:begin -->';
const END = '<!-- rules:end -->';

/** A table's rows without the column padding a formatter adds. */
export function normalizeTable(text: string): string {
  return text
    .split('\n')
    .map((line) =>
      line.startsWith('|')
        ? line
            .split('|')
            .map((c) => (/^\s*-+\s*$/.test(c) ? '---' : c.trim()))
            .join('|')
        : line,
    )
    .join('\n');
}

/** The README with the rule table replaced by the current one. */
export function readmeWithRules(text: string): string {
  const a = text.indexOf(BEGIN);
  const b = text.indexOf(END);
  if (a < 0 || b < a) throw new Error(`README lacks ${BEGIN} … ${END}`);
  return `${text.slice(0, a + BEGIN.length)}\n${rulesMarkdown()}\n${text.slice(b)}`;
}

if (import.meta.main) {
  const text = readFileSync(README, 'utf8');
  if (process.argv.includes('--write')) writeFileSync(README, readmeWithRules(text));
  else console.log(rulesMarkdown());
}
