/**
 * The layering rule, checked by `npm run check` (`npm run deps`): imports point down, never up
 * and never sideways between siblings, and no file imports itself back through others. The
 * layers and the reasons are in docs/architecture.md; change both together.
 *
 * Type-only imports count: a type that points up couples the layers just as much.
 */

/** Bottom to top. A file may import its own layer and the layers below it. */
const LAYERS = [
  ["domain", "^src/domain/"],
  ["foundation", "^src/((config|options|log|metrics)\\.ts$|metrics/)"],
  ["store", "^src/store/"],
  ["read", "^src/read/"],
  ["services", "^src/(auth|fleet|ingest|live)/"],
  ["http", "^src/http/"],
  ["pages", "^src/pages/"],
  ["api", "^src/(graphql|rest)/"],
  ["commands", "^src/commands/"],
  ["main", "^src/main\\.ts$"],
];

/** Rooms on one floor that must not lean on each other (each pair, both ways). */
const SIBLINGS = [
  ["src/ingest/", "src/live/"],
  ["src/ingest/", "src/auth/"],
  ["src/live/", "src/auth/"],
  ["src/fleet/", "src/ingest/"],
  ["src/fleet/", "src/live/"],
  ["src/fleet/", "src/auth/"],
  ["src/graphql/", "src/rest/"],
];

/** Inside graphql/, bottom to top: what a resolver sees, the schema, the plugins, Yoga, the transports, the mount. */
const GRAPHQL = [
  ["context", "^src/graphql/context\\.ts$"],
  ["schema", "^src/graphql/schema/"],
  ["plugins", "^src/graphql/plugins/"],
  ["yoga", "^src/graphql/yoga\\.ts$"],
  ["transport", "^src/graphql/transport/"],
  ["mount", "^src/graphql/mount\\.ts$"],
];

const upward = (layers, scope) =>
  layers.slice(0, -1).map(([name, path], i) => ({
    name: `${scope}-${name}-imports-up`,
    comment: `${name} may import only ${layers
      .slice(0, i + 1)
      .map(([n]) => n)
      .join(", ")} (${scope} layers, docs/architecture.md)`,
    severity: "error",
    from: { path },
    to: { path: layers.slice(i + 1).map(([, p]) => p) },
  }));

module.exports = {
  forbidden: [
    {
      name: "no-circular",
      comment: "Files that import each other (through any chain) cannot be understood or loaded one at a time.",
      severity: "error",
      from: {},
      to: { circular: true },
    },
    {
      name: "domain-imports-nothing-of-ours",
      comment: "src/domain/ is pure: it imports no other module of the project.",
      severity: "error",
      from: { path: "^src/domain/" },
      to: { path: "^src/", pathNot: "^src/domain/" },
    },
    {
      name: "ingest-is-wired-by-commands-only",
      comment: "Only the composition root starts ingestion; the APIs read the store, never ingest/.",
      severity: "error",
      from: { path: "^src/", pathNot: "^src/(ingest|commands)/" },
      to: { path: "^src/ingest/" },
    },
    {
      name: "src-imports-no-tests",
      comment: "Production code never imports tests, benchmarks or scripts.",
      severity: "error",
      from: { path: "^src/" },
      to: { path: "^(test|bench|scripts)/" },
    },
    ...upward(LAYERS, "src"),
    ...upward(GRAPHQL, "graphql"),
    ...SIBLINGS.flatMap(([a, b]) => [
      { name: `no-${a}-to-${b}`.replace(/[/]/g, ""), severity: "error", from: { path: `^${a}` }, to: { path: `^${b}` } },
      { name: `no-${b}-to-${a}`.replace(/[/]/g, ""), severity: "error", from: { path: `^${b}` }, to: { path: `^${a}` } },
    ]),
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { exportsFields: ["exports"], conditionNames: ["import", "require", "node", "default"] },
  },
};
