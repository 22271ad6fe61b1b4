// The inspector page's files: its own (src/inspect/page/) and uPlot, vendored straight from
// node_modules, so the page works with no network at all. Only these paths are served.
import fs from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const page = (name: string): string => fileURLToPath(new URL(`./page/${name}`, import.meta.url));

export interface Asset {
  file: string;
  type: string;
}

const JS = "text/javascript; charset=utf-8";
const CSS = "text/css; charset=utf-8";
const HTML = "text/html; charset=utf-8";

/** The page that embeds Stately's inspector (served by the --inspect=stately bridge only). */
export const STATELY_PAGE: Asset = { file: page("stately.html"), type: HTML };

export const ASSETS: Readonly<Record<string, Asset>> = {
  "/": { file: page("index.html"), type: HTML },
  "/app.js": { file: page("app.js"), type: JS },
  "/charts.js": { file: page("charts.js"), type: JS },
  "/style.css": { file: page("style.css"), type: CSS },
  "/vendor/uPlot.iife.min.js": { file: require.resolve("uplot/dist/uPlot.iife.min.js"), type: JS },
  "/vendor/uPlot.min.css": { file: require.resolve("uplot/dist/uPlot.min.css"), type: CSS },
};

/** A file's text, read once (the page's files do not change while a run is inspected). */
const cache = new Map<string, string>();
export function assetText(file: string): string {
  let text = cache.get(file);
  if (text === undefined) {
    text = fs.readFileSync(file, "utf8");
    cache.set(file, text);
  }
  return text;
}
