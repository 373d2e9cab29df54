// Drives the admin dashboard in Debian's Chromium (headless, through playwright-core)
// against a running flexilib, as a person would use it: the page loads and shows the
// routes, a request made with curl appears in the live table within 2 s, the latency
// histogram and the rate chart are drawn, the reload button reloads, and with a token
// the page asks for it and sends it. With --crash PATH, a request there crashes the
// serving process, and the page must follow the new one (its requests numbered from 1
// again). With --upstream HOST:PORT --upstream-path PATH, PATH is proxied to an
// upstream that refuses connections: the upstreams table must show that server down,
// with its failure counted. Every network request the page makes is recorded: all must
// go to the admin origin. Saves a screenshot in --out.
// Run by test/browser/test_dashboard_browser.cpp; exits non-zero with the reason.
//
// node dashboard_check.js --tools DIR --admin http://127.0.0.1:A --serve http://127.0.0.1:P
//                         --out DIR --library NAME [--token TOKEN] [--crash PATH]
//                         [--upstream HOST:PORT --upstream-path PATH]
"use strict";

const {execFileSync} = require("child_process");
const fs = require("fs");
const os = require("os");
const path = require("path");

function options() {
  const args = process.argv.slice(2), named = {};
  for (let i = 0; i + 1 < args.length; i += 2) named[args[i].replace(/^--/, "")] = args[i + 1];
  for (const required of ["tools", "admin", "serve", "out", "library"])
    if (!named[required]) throw new Error(`--${required} is required`);
  return named;
}

function check(condition, message) {
  if (!condition) throw new Error(message);
}

function curl(url, ...options) {
  try {
    return execFileSync("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", ...options, url],
                        {encoding: "utf8"});
  } catch (error) {
    return error.stdout || "000"; // curl fails when the server drops the connection
  }
}

// Waits (up to `ms`) for a row whose target is `target` in the live table.
async function rowShown(page, target, ms) {
  await page.waitForFunction(
    (wanted) => [...document.querySelectorAll("#recent td.target")]
      .some((cell) => cell.textContent === wanted),
    target, {timeout: ms});
}

// What Chromium needs to run as root in a container without reaching anything: no
// sandbox (root), no GPU, and none of its own background traffic to Google.
const chromiumFlags = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                       "--disable-background-networking", "--disable-component-update",
                       "--disable-sync", "--disable-dev-shm-usage"];

async function main() {
  const opts = options();
  const {chromium} = require(path.join(opts.tools, "node_modules", "playwright-core"));
  const admin = new URL(opts.admin).origin;
  fs.mkdirSync(opts.out, {recursive: true});
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "flexilib-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: "/usr/bin/chromium", headless: true, args: chromiumFlags,
    viewport: {width: 1280, height: 900}, timeout: 30000,
  });
  const requests = [], problems = [];
  context.on("request", (request) => requests.push(request));
  try {
    const page = context.pages()[0] || (await context.newPage());
    page.on("console", (message) => {
      // Before the token is typed, the first poll's 401s are expected.
      const refused = opts.token && /status of 401/.test(message.text());
      // While the crashed serving process is replaced, the page's polls fail.
      const restarting = opts.crash && /ERR_CONNECTION_REFUSED|ERR_EMPTY_RESPONSE|ERR_CONNECTION_RESET/
        .test(message.text());
      if (message.type() === "error" && !refused && !restarting) problems.push("console: " + message.text());
    });
    page.on("pageerror", (error) => problems.push("page error: " + error.message));
    page.setDefaultTimeout(5000);

    const response = await page.goto(admin + "/");
    check(response.status() === 200, `GET / answered ${response.status()}`);
    check(response.headers()["content-type"].startsWith("text/html"),
          "GET / from a browser is not HTML: " + response.headers()["content-type"]);

    if (opts.token) {
      await page.waitForSelector("#token-form.shown");
      await page.fill("#token-input", opts.token);
      await page.click("#token button[type=submit]");
      await page.waitForSelector("#token-form:not(.shown)", {state: "hidden"});
    }

    // The routes, with the library each serves from.
    await page.waitForFunction(
      (library) => document.querySelector("#routes").textContent.includes(library), opts.library);

    // A request made with curl shows in the table within 2 s of its answer.
    const target = "/dashboard-check-" + Date.now().toString(36);
    const status = curl(opts.serve + target);
    check(status === "200", `curl ${opts.serve + target} answered ${status}`);
    const answered = Date.now();
    await rowShown(page, target, 2000).catch(async () => {
      // What the page's polls of /requests took, to tell a slow machine from a bug.
      const polls = await page.evaluate(() => performance.getEntriesByType("resource")
        .filter((entry) => entry.name.includes("/requests"))
        .map((entry) => `at ${Math.round(entry.startTime)} ms took ${Math.round(entry.duration)} ms`));
      throw new Error(`${target} (requested with curl) not in the table within 2 s; ` +
                      `the page's last polls of /requests: ${polls.slice(-4).join(", ")}`);
    });
    console.log(`request made with curl shown after ${Date.now() - answered} ms`);
    const row = await page.$eval(`#recent tr:first-child`, (tr) => tr.textContent);
    check(row.includes(target) && row.includes("200"), "newest row is not the curl request: " + row);

    if (opts.upstream) {
      // A request the upstream refuses: 502, and the server is marked down.
      const status = curl(opts.serve + opts["upstream-path"]);
      check(status === "502", `curl ${opts.serve + opts["upstream-path"]} answered ${status}`);
      await page.waitForFunction((server) => [...document.querySelectorAll("#upstreams tr")]
        .some((row) => row.querySelector("td.server")?.textContent === server &&
                       row.dataset.state === "down" && /^down for /.test(row.cells[1].textContent) &&
                       Number(row.querySelector("td.failures").textContent) >= 1),
        opts.upstream).catch(async () => {
        const shown = await page.textContent("#upstreams");
        throw new Error(`upstream ${opts.upstream} not shown down with a failure: "${shown}"`);
      });
      console.log("upstreams: " + (await page.textContent("#upstreams")));
    }

    // The latency histogram of the route has bars; the rate chart has a line.
    await page.waitForFunction(() => [...document.querySelectorAll("#histograms rect.ttfb")]
      .some((bar) => Number(bar.getAttribute("height")) > 0));
    await page.waitForSelector("#rate-chart path.rate", {state: "attached"});

    // The reload button reloads the configuration and says so.
    await page.click("#reload");
    await page.waitForFunction(() => /configuration reloaded: \d+ rules?/.test(
      document.querySelector("#reload-result.ok")?.textContent || ""));
    console.log("reload: " + (await page.textContent("#reload-result")));

    if (opts.crash) {
      // The serving process dies; the supervisor starts another, whose admin endpoint
      // comes back on the same port with its figures (and sequence numbers) from zero.
      curl(opts.serve + opts.crash, "-H", "x-mode: crash");
      const after = "/after-crash-" + Date.now().toString(36);
      const deadline = Date.now() + 10000;
      while (curl(opts.serve + after) !== "200") {
        check(Date.now() < deadline, "the server did not come back after the crash");
        await page.waitForTimeout(100);
      }
      await rowShown(page, after, 5000).catch(() => {
        throw new Error(`${after}, served by the new serving process, not in the table`);
      });
      const targets = await page.$$eval("#recent td.target", (cells) => cells.map((c) => c.textContent));
      check(targets.every((shown) => shown === after),
            `the table kept the old process's rows beside the new one's: ${targets.join(", ")}`);
      console.log("after the crash the table shows the new serving process's request");
    }

    await page.waitForTimeout(1200); // one more poll, so the screenshot shows settled figures
    await page.screenshot({path: path.join(opts.out, "dashboard.png")});

    // Everything the page asked for came from the admin origin.
    const foreign = requests.filter((request) => new URL(request.url()).origin !== admin);
    check(!foreign.length, "requests to elsewhere: " + foreign.map((r) => r.url()).join(", "));
    const paths = [...new Set(requests.map((r) => r.method() + " " + new URL(r.url()).pathname))];
    console.log(`${requests.length} requests, all to ${admin}: ${paths.sort().join(", ")}`);
    check(paths.includes("POST /reload"), "the reload button sent no POST /reload");
    if (opts.token) {
      const api = requests.filter((r) => new URL(r.url()).pathname !== "/");
      const bare = api.filter((r) => r.headers()["authorization"] !== "Bearer " + opts.token);
      // Only the first poll, before the token was typed, may go without it.
      check(bare.length <= 3, `${bare.length} admin calls without the token`);
    }
    check(!problems.length, problems.join("\n"));
  } finally {
    await context.close();
    fs.rmSync(profile, {recursive: true, force: true});
  }
}

main().then(() => console.log("dashboard check passed"), (error) => {
  console.error("dashboard check FAILED: " + (error.stack || error));
  process.exitCode = 1;
});
