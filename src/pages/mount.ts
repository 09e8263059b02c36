/**
 * The pages a person opens in a browser: the dashboard (/dashboard, and / for browsers) and the
 * static files of the dashboard and of GraphiQL (/assets/...). Nothing is loaded from another host.
 * None of it holds data: the pages read through /graphql, with whatever token the viewer has.
 */
import type { Mount } from "../http/app.js";
import { type DashboardConfig, dashboardFiles, dashboardPage } from "./dashboard.js";
import { GRAPHIQL_BASE, graphiqlAssets } from "./graphiql.js";
import { type Asset, sendAsset } from "./static-assets.js";

const notFound = (res: import("node:http").ServerResponse) => {
  res.writeHead(404, { "Content-Type": "application/json", "Cache-Control": "no-store" });
  res.end(JSON.stringify({ error: "not found" }));
};

export function createDashboardMount(config: DashboardConfig): Mount {
  let page: Promise<Asset> | undefined;
  return {
    prefix: "/dashboard",
    async handle(req, res) {
      const path = (req.url ?? "/").split("?")[0];
      if (path !== "/dashboard" && path !== "/dashboard/" && path !== "/") return notFound(res);
      page ??= dashboardPage(config).catch((err: unknown) => {
        page = undefined; // tried again on the next request (after `npm run build`, say)
        throw err;
      });
      sendAsset(req, res, await page);
    },
  };
}

export function createAssetsMount(): Mount {
  return {
    prefix: "/assets",
    async handle(req, res) {
      const path = (req.url ?? "/").split("?")[0] as string;
      const files = path.startsWith(`${GRAPHIQL_BASE}/`) ? await graphiqlAssets() : (await dashboardFiles()).assets;
      const asset = files.get(path);
      if (!asset) return notFound(res);
      sendAsset(req, res, asset);
    },
  };
}
