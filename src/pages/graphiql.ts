/**
 * GraphiQL with nothing from another host. Yoga's `@graphql-yoga/render-graphiql` bundles GraphiQL
 * (and Monaco's workers) but inlines all 9 MB into every page; here its parts are served as
 * static files under a versioned URL, compressed once and cached for a year, and the page itself is
 * a few hundred bytes.
 */
// Imported, not required at run time: the build inlines it (the package installs no render-graphiql).
import graphiqlPackage from "@graphql-yoga/render-graphiql/package.json" with { type: "json" };
import type { GraphiQLOptions } from "graphql-yoga";
import { type Asset, createAsset } from "./static-assets.js";

const VERSION = graphiqlPackage.version;
export const GRAPHIQL_BASE = `/assets/graphiql-${VERSION}`;

/** Monaco's worker labels → the files that serve them. */
const WORKERS = { editorWorkerService: "editor.worker.js", json: "json.worker.js", graphql: "graphql.worker.js" };

let assets: Promise<Map<string, Asset>> | undefined;

/** The files under GRAPHIQL_BASE, loaded and compressed on first use (a few seconds, once). */
export function graphiqlAssets(): Promise<Map<string, Asset>> {
  assets ??= (async () => {
    const bundle = await import("@graphql-yoga/render-graphiql/graphiql");
    const js = "application/javascript; charset=utf-8";
    const favicon = /^data:([^;]+);base64,(.*)$/.exec(bundle.favicon);
    const files: Array<[string, Promise<Asset>]> = [
      ["graphiql.js", createAsset(js, bundle.js, true)],
      ["graphiql.css", createAsset("text/css; charset=utf-8", bundle.css, true)],
      [WORKERS.editorWorkerService, createAsset(js, bundle.editorWorkerService, true)],
      [WORKERS.json, createAsset(js, bundle.jsonWorker, true)],
      [WORKERS.graphql, createAsset(js, bundle.graphqlWorker, true)],
      ["favicon.ico", createAsset(favicon?.[1] ?? "image/x-icon", Buffer.from(favicon?.[2] ?? "", "base64"), true)],
    ];
    const loaded = await Promise.all(
      files.map(async ([name, asset]) => [`${GRAPHIQL_BASE}/${name}`, await asset] as const),
    );
    return new Map(loaded);
  })().catch((err: unknown) => {
    assets = undefined; // tried again on the next request
    throw err;
  });
  return assets as Promise<Map<string, Asset>>;
}

/** Yoga's `renderGraphiQL`: the page, pointing at the static files. */
export function renderOfflineGraphiQL(opts: GraphiQLOptions): string {
  const workers = Object.fromEntries(
    Object.entries(WORKERS).map(([label, file]) => [label, `${GRAPHIQL_BASE}/${file}`]),
  );
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(opts.title ?? "GraphiQL")}</title>
<link rel="icon" href="${GRAPHIQL_BASE}/favicon.ico">
<link rel="stylesheet" href="${GRAPHIQL_BASE}/graphiql.css">
</head>
<body id="body" class="no-focus-outline">
<noscript>GraphiQL needs JavaScript.</noscript>
<div id="root"></div>
<script>
self.MonacoEnvironment = { globalAPI: false, getWorkerUrl: (_id, label) => (${scriptJson(workers)})[label] };
</script>
<script src="${GRAPHIQL_BASE}/graphiql.js"></script>
<script>
YogaGraphiQL.renderYogaGraphiQL(document.querySelector("#root"), ${scriptJson(opts)});
</script>
</body>
</html>
`;
}

/** JSON that is safe inside a <script> element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
}
