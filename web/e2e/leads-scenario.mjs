// The leads page in a real browser (Debian's Chromium, playwright-core, no browser download).
// Run by tests/e2e/test_e2e_leads.py; by hand:
//   node web/e2e/leads-scenario.mjs --url 'http://localhost:5005/webhooks/leads/?token=…' \
//        --expect-phone +79161234567 --report test-output/leads.json
// Opens the page through the token link, checks the token left the address bar, that a lead
// with the expected phone is listed, then filters by kind «Обратный звонок» and by the phone.
// Writes a JSON report of every step; exit code 0 only when every step passed.
import { writeFileSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { chromium } from "playwright-core";

const args = Object.fromEntries(
  process.argv.slice(2).reduce((pairs, a, i, all) => (a.startsWith("--") ? [...pairs, [a.slice(2), all[i + 1]]] : pairs), [])
);
const reportPath = args.report || "test-output/leads.json";
const report = { steps: [], console: [] };
function step(name, ok, detail = "") {
  report.steps.push({ name, ok, detail });
  console.log(`${ok ? "ok  " : "FAIL"}  ${name}${detail ? ` — ${detail}` : ""}`);
  if (!ok) throw new Error(name);
}

const browser = await chromium.launch({
  executablePath: args.chromium || "/usr/bin/chromium", headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
});
const page = await (await browser.newContext({ locale: "ru-RU" })).newPage();
page.on("console", (m) => { if (m.type() === "error") report.console.push(m.text()); });
const rows = () => page.$$eval("tr.lead", (trs) => trs.map((tr) => tr.innerText));
let code = 0;
try {
  const reply = await page.goto(args.url);
  step("страница открылась", reply.ok(), `HTTP ${reply.status()}`);
  step("токена нет в адресе", !page.url().includes("token="), page.url());
  let listed = await rows();
  step("заявка в списке", listed.some((t) => t.includes(args["expect-phone"])), `${listed.length} строк`);
  await page.selectOption("select[name=kind]", "callback");
  await Promise.all([page.waitForNavigation(), page.click("button[type=submit]")]);
  listed = await rows();
  step("фильтр «Обратный звонок»", listed.length > 0 && listed.every((t) => t.includes("Обратный звонок")),
       `${listed.length} строк`);
  await page.selectOption("select[name=kind]", "");
  await page.fill("input[name=q]", args["expect-phone"]);
  await Promise.all([page.waitForNavigation(), page.click("button[type=submit]")]);
  listed = await rows();
  step("поиск по телефону", listed.length > 0 && listed.every((t) => t.includes(args["expect-phone"])),
       `${listed.length} строк`);
  step("без ошибок в консоли", report.console.length === 0, report.console.join("; "));
} catch (e) {
  code = 1;
  if (!report.steps.length || report.steps.at(-1).ok) report.steps.push({ name: String(e.message || e), ok: false });
} finally {
  await browser.close();
  mkdirSync(dirname(reportPath), { recursive: true });
  writeFileSync(reportPath, JSON.stringify(report, null, 2));
}
process.exit(code);
