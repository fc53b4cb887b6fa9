// The statistics page in a real browser at a phone's width: Debian's Chromium, driven by playwright-core.
// Run by tests/e2e/test_stats_dashboard_browser.py, which starts the page's server; by hand:
//   node web/e2e/stats-dashboard.mjs --url 'http://localhost:5005/webhooks/stats/?token=…' \
//        --screenshot test-output/stats.png --report test-output/stats.json
// Writes a JSON report: HTTP status, every chart's box on the page (CSS pixels = screenshot pixels,
// deviceScaleFactor 1) with its SVG's shapes, the page's width against the viewport, console errors and
// the hosts contacted. The test checks the screenshot itself inside those boxes.
import { writeFileSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { chromium } from "playwright-core";

const args = Object.fromEntries(
  process.argv.slice(2).reduce((pairs, a, i, all) => (a.startsWith("--") ? [...pairs, [a.slice(2), all[i + 1]]] : pairs), [])
);
const url = args.url;
const screenshot = args.screenshot || "test-output/stats.png";
const reportPath = args.report || "test-output/stats.json";
const executablePath = args.chromium || process.env.WEWALL_CHROMIUM || "/usr/bin/chromium";
if (!url) {
  console.error("usage: stats-dashboard.mjs --url URL [--screenshot PNG] [--report JSON] [--chromium PATH]");
  process.exit(2);
}

const report = { url, status: null, charts: [], viewport: null, scrollWidth: null, console: [], hosts: [], error: null };
const browser = await chromium.launch({
  executablePath,
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"],
});
let exitCode = 0;
try {
  // a phone: 390 CSS pixels wide
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1, locale: "ru-RU" });
  const page = await context.newPage();
  page.on("console", (m) => { if (m.type() === "error") report.console.push(m.text()); });
  page.on("pageerror", (e) => report.console.push(`pageerror: ${e.message}`));
  page.on("request", (r) => {
    const host = new URL(r.url()).host;
    if (!report.hosts.includes(host)) report.hosts.push(host);
  });
  const res = await page.goto(url, { waitUntil: "load", timeout: 60000 });
  report.status = res ? res.status() : null;
  report.viewport = page.viewportSize();
  report.scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
  report.charts = await page.$$eval("figure.chart", (figures) =>
    figures.map((f) => {
      const svg = f.querySelector("svg");
      const box = (svg || f).getBoundingClientRect();
      return {
        kind: f.dataset.chart,
        title: (f.querySelector("h2") || {}).textContent || "",
        box: { x: box.x + window.scrollX, y: box.y + window.scrollY, width: box.width, height: box.height },
        rects: svg ? svg.querySelectorAll("rect").length : 0,
      };
    })
  );
  mkdirSync(dirname(screenshot), { recursive: true });
  await page.screenshot({ path: screenshot, fullPage: true });
} catch (e) {
  exitCode = 1;
  report.error = String((e && e.stack) || e);
} finally {
  await browser.close();
  mkdirSync(dirname(reportPath), { recursive: true });
  writeFileSync(reportPath, JSON.stringify(report, null, 2));
}
process.exit(exitCode);
