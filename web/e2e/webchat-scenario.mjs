// The web chat in a real browser: Debian's Chromium, driven by playwright-core (no browser download).
// Run by tests/e2e/test_webchat_browser.py, which starts the bot; by hand:
//   node web/e2e/webchat-scenario.mjs --url http://localhost:5005/webhooks/webchat/ \
//        --screenshot test-output/webchat.png --report test-output/webchat.json
// Writes a JSON report: every step with ok/detail, the transcript, console errors and every host the
// page contacted. Exit code 0 only when every step passed. A screenshot is taken in any case.
import { writeFileSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { chromium } from "playwright-core";

const args = Object.fromEntries(
  process.argv.slice(2).reduce((pairs, a, i, all) => (a.startsWith("--") ? [...pairs, [a.slice(2), all[i + 1]]] : pairs), [])
);
const url = args.url;
const screenshot = args.screenshot || "test-output/webchat.png";
const reportPath = args.report || "test-output/webchat.json";
const executablePath = args.chromium || process.env.WEWALL_CHROMIUM || "/usr/bin/chromium";
const replyTimeout = Number(args["reply-timeout"] || 45000);
if (!url) {
  console.error("usage: webchat-scenario.mjs --url URL [--screenshot PNG] [--report JSON] [--chromium PATH]");
  process.exit(2);
}

const report = { url, steps: [], transcript: [], console: [], hosts: [], screenshot: null, image: null };
const norm = (s) => (s || "").replace(/\s+/g, " ").trim();

function step(name, ok, detail = "") {
  report.steps.push({ name, ok, detail });
  console.log(`${ok ? "ok  " : "FAIL"}  ${name}${detail ? ` — ${detail}` : ""}`);
  if (!ok) throw new StepFailed(name);
}
class StepFailed extends Error {}

const browser = await chromium.launch({
  executablePath,
  headless: true,
  args: [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
  ],
});
const context = await browser.newContext({ viewport: { width: 900, height: 1300 }, locale: "ru-RU" });
const page = await context.newPage();
page.on("console", (m) => { if (m.type() === "error") report.console.push(m.text()); });
page.on("pageerror", (e) => report.console.push(`pageerror: ${e.message}`));
page.on("request", (r) => {
  const host = new URL(r.url()).host;
  if (!report.hosts.includes(host)) report.hosts.push(host);
});

// ---- helpers over the page's DOM ------------------------------------------------------------
const BOT = ".msg--bot:not(.msg--typing)";

async function botMessages() {
  return page.$$eval(BOT, (rows) =>
    rows.map((row) => ({
      text: (row.querySelector(".msg__bubble") || {}).textContent || "",
      image: row.querySelector(".msg__image") ? row.querySelector(".msg__image").getAttribute("src") : null,
      buttons: [...row.querySelectorAll(".msg__button")].map((b) => ({ title: b.textContent, enabled: !b.disabled })),
      links: [...row.querySelectorAll(".msg__bubble a")].map((a) => a.href),
    }))
  );
}

// Waits for the bot's answer to what was just done: new messages, then a quiet moment.
async function waitTurn(before, { quietMs = 1200, timeout = replyTimeout, until = null } = {}) {
  const deadline = Date.now() + timeout;
  let seen = before, quietSince = Date.now();
  while (Date.now() < deadline) {
    const all = await botMessages();
    if (all.length !== seen) { seen = all.length; quietSince = Date.now(); }
    const fresh = all.slice(before);
    if (fresh.length && (until ? until(fresh) : Date.now() - quietSince >= quietMs)) return fresh;
    await page.waitForTimeout(150);
  }
  return (await botMessages()).slice(before);
}

const describe = (msgs) =>
  msgs.length
    ? msgs.map((m) => `«${norm(m.text) || (m.image ? "[изображение]" : "")}»` + (m.buttons.length ? ` [${m.buttons.map((b) => b.title).join(" | ")}]` : "")).join(" ")
    : "бот ничего не ответил";

async function clickButton(title) {
  const want = norm(title);
  const buttons = page.locator(".msg__button:enabled");
  const count = await buttons.count();
  for (let i = count - 1; i >= 0; i--) {
    if (norm(await buttons.nth(i).textContent()) === want) {
      await buttons.nth(i).click();
      return true;
    }
  }
  return false;
}

async function type(text) {
  await page.fill("#input", text);
  await page.press("#input", "Enter");
}

// ---- the calculation: answer whatever the bot asks, until the chart ---------------------------
// Checked in order against the bot's last message; each question may be answered once.
const hasButton = (m, title) => m.buttons.some((b) => b.enabled && norm(b.title) === norm(title));
const ANSWERS = [
  { name: "итог: «Да, считать»", match: (m) => hasButton(m, "Да, считать"), button: "Да, считать" },
  { name: "вид объекта: «Готовый офис»", match: (m) => hasButton(m, "Готовый офис"), button: "Готовый офис" },
  { name: "класс: «Класс А»", match: (m) => hasButton(m, "Класс А"), button: "Класс А" },
  { name: "отделка: «Ничего, помещение готово»", match: (m) => hasButton(m, "Ничего, помещение готово"), button: "Ничего, помещение готово" },
  { name: "НДС: «5 %»", match: (m) => hasButton(m, "5 %"), button: "5 %" },
  {
    name: "станция: кнопка «Белорусская»",
    match: (m) => m.buttons.some((b) => b.enabled && /Белорусская/.test(b.title)),
    pick: (m) => m.buttons.find((b) => b.enabled && /Белорусская/.test(b.title)).title,
  },
  { name: "площадь: «700»", match: (m) => /площад/i.test(m.text), text: "700" },
  { name: "расстояние: «5 минут пешком»", match: (m) => /до метро|пешком|расстояни/i.test(m.text), text: "5 минут пешком" },
  { name: "станция: «Белорусская»", match: (m) => /станци/i.test(m.text), text: "Белорусская" },
  { name: "цена: «500000»", match: (m) => /1 м²|стоит|цен/i.test(m.text), text: "500000" },
];
const REQUIRED = ["вид объекта", "площадь", "цена", "класс", "станция", "расстояние", "отделка", "НДС", "итог"];

async function calculate(firstQuestion) {
  let last = firstQuestion;
  const answered = new Set();
  for (let turn = 0; turn < 16; turn++) {
    const question = last[last.length - 1];
    const answer = ANSWERS.find((a) => !answered.has(a.name) && a.match(question));
    if (!answer) {
      step("ответ на вопрос бота", false, `не знаю, что ответить на ${describe([question])}`);
    }
    answered.add(answer.name);
    const before = (await botMessages()).length;
    if (answer.text) await type(answer.text);
    else step(`кнопка для ${answer.name}`, await clickButton(answer.button || answer.pick(question)), "");
    const isFinal = answer.button === "Да, считать";
    const reply = await waitTurn(before, isFinal ? { timeout: 120000, until: (f) => f.some((m) => m.image) && f.some((m) => m.links.some((l) => /\.xlsx\b/.test(l))) } : {});
    const reasked = reply.length > 0 && norm(reply[reply.length - 1].text) === norm(question.text);
    step(
      answer.name,
      reply.length > 0 && !reasked && (!isFinal || reply.some((m) => m.image)),
      `${reasked ? "бот не принял ответ и задал тот же вопрос снова: " : "бот: "}${describe(reply)}`
    );
    if (isFinal) {
      const missing = REQUIRED.filter((r) => ![...answered].some((a) => a.startsWith(r)));
      step("бот спросил всё, что нужно для расчёта", missing.length === 0, missing.length ? `не спрашивал: ${missing.join(", ")}` : REQUIRED.join(", "));
      return reply;
    }
    last = reply;
  }
  step("расчёт за 16 шагов", false, "бот всё ещё задаёт вопросы");
}

// ---- the scenario -----------------------------------------------------------------------------
let exitCode = 0;
try {
  const response = await page.goto(url, { waitUntil: "load" });
  step("страница открывается", response && response.status() === 200, `HTTP ${response && response.status()}`);
  const title = await page.title();
  const placeholder = await page.getAttribute("#input", "placeholder");
  step("русский интерфейс", /WEWALL/.test(title) && placeholder === "Напишите сообщение…", `заголовок «${title}», подсказка «${placeholder}»`);

  const greeting = await waitTurn(0, { until: (f) => f.some((m) => hasButton(m, "Оценка доходности")) });
  step("приветствие при открытии", greeting.some((m) => /Здравствуйте/.test(m.text)), describe(greeting));

  let before = (await botMessages()).length;
  await type("привет");
  const hello = await waitTurn(before, { until: (f) => f.some((m) => hasButton(m, "Оценка доходности")) });
  step("ответ на «привет» с меню", hello.some((m) => hasButton(m, "Оценка доходности")), describe(hello));
  const userBubbles = await page.$$eval(".msg--user .msg__bubble", (els) => els.map((e) => e.textContent));
  step("сообщение пользователя видно в чате", userBubbles.includes("привет"), JSON.stringify(userBubbles));

  before = (await botMessages()).length;
  step("кнопка «Оценка доходности» нажата", await clickButton("Оценка доходности"));
  const first = await waitTurn(before);
  step("первый вопрос расчёта", first.some((m) => /объект|Посчитаю/i.test(m.text) || hasButton(m, "Готовый офис")), describe(first));
  const oldDisabled = await page.$$eval(".msg__button", (bs) => bs.filter((b) => b.textContent === "Оценка доходности").every((b) => b.disabled));
  step("нажатые кнопки меню больше не активны", oldDisabled);

  const result = await calculate(first);

  const img = page.locator(".msg__image").last();
  await img.scrollIntoViewIfNeeded();
  await page.waitForFunction((el) => el.complete && el.naturalWidth > 0, await img.elementHandle(), { timeout: 30000 }).catch(() => {});
  report.image = await img.evaluate((el) => ({ src: el.currentSrc, complete: el.complete, naturalWidth: el.naturalWidth, naturalHeight: el.naturalHeight }));
  step("график загрузился", report.image.naturalWidth > 0, JSON.stringify(report.image));

  const xlsx = result.flatMap((m) => m.links).find((l) => /\.xlsx\b/.test(l));
  step("ссылка на XLSX кликабельна", Boolean(xlsx), xlsx || describe(result));
  const xlsxStatus = await page.evaluate(async (href) => (await fetch(href)).status, xlsx);
  step("XLSX скачивается", xlsxStatus === 200, `HTTP ${xlsxStatus}`);
} catch (e) {
  exitCode = 1;
  if (!(e instanceof StepFailed)) report.steps.push({ name: "сценарий", ok: false, detail: String(e && e.stack || e) });
} finally {
  try {
    report.transcript = await page.$$eval(".msg:not(.msg--typing)", (rows) =>
      rows.map((r) => {
        const who = r.classList.contains("msg--user") ? "клиент" : "бот";
        const text = (r.querySelector(".msg__bubble") || {}).textContent || "";
        const image = r.querySelector(".msg__image") ? ` [изображение ${r.querySelector(".msg__image").getAttribute("src")}]` : "";
        const buttons = [...r.querySelectorAll(".msg__button")].map((b) => b.textContent);
        return `${who}: ${text}${image}${buttons.length ? ` [${buttons.join(" | ")}]` : ""}`;
      })
    );
    mkdirSync(dirname(screenshot), { recursive: true });
    await page.screenshot({ path: screenshot });
    report.screenshot = screenshot;
  } catch (e) {
    report.steps.push({ name: "снимок экрана", ok: false, detail: String(e) });
    exitCode = 1;
  }
  await browser.close();
  mkdirSync(dirname(reportPath), { recursive: true });
  writeFileSync(reportPath, JSON.stringify(report, null, 2));
}
process.exit(exitCode);
