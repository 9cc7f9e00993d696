// The module rules of the dependency check (`npm run deps`, part of `npm test`; docs/architecture.md
// explains the layers they keep). Cycles between folders are checked by scripts/check-deps.ts on the
// same graph: dependency-cruiser's folder scope would count src/'s own files (the composition root
// app.ts, main.ts and the shared errors.ts, config.ts) as one folder, a false cycle with every feature.

/** The only stacks module src may import: the stacks' public entry. Everything else there is internal. */
const STACKS_PUBLIC = '^stacks/public[.]ts$';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-module-cycle',
      severity: 'error',
      comment: 'A module that reaches itself through its imports: split out what both sides need.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'src-not-into-stacks-internals',
      severity: 'error',
      comment:
        'The service reaches the Pulumi components only through their public entry, so the stacks can ' +
        'be reorganized (or published) without touching the API.',
      from: { path: '^src/' },
      to: { path: '^stacks/', pathNot: STACKS_PUBLIC },
    },
    {
      name: 'not-to-test',
      severity: 'error',
      comment: 'Production code never imports test code.',
      from: { path: '^(src|stacks)/' },
      to: { path: '^test/' },
    },
    {
      name: 'no-unresolvable',
      severity: 'error',
      comment: 'An import that resolves to nothing (a moved file) fails here before it fails at run time.',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Type-only imports count: a cycle through types is still two folders that must change together.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      extensions: ['.ts', '.js', '.json'],
      exportsFields: ['exports'],
      // typebox exports only 'import' and 'default'.
      conditionNames: ['import', 'node', 'default', 'types'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
