// Lighthouse (accessibility, best practices, SEO) on each page, one headless Debian chromium for all of them.
// node lighthouse.mjs BASE_URL COOKIE PATH[|signed-in]... → prints {path: {scores, failing, error}} as JSON.
import lighthouse from 'lighthouse';
import * as chromeLauncher from 'chrome-launcher';

const [base, cookie, ...pages] = process.argv.slice(2);
const chrome = await chromeLauncher.launch({
  chromePath: '/usr/bin/chromium',
  chromeFlags: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});
const report = {};
try {
  for (const page of pages) {
    const [path, signedIn] = page.split('|');
    const { lhr } = await lighthouse(new URL(path, base).toString(), {
      port: chrome.port,
      logLevel: 'error',
      onlyCategories: ['accessibility', 'best-practices', 'seo'],
      extraHeaders: signedIn ? { Cookie: cookie } : undefined,
    });
    report[page] = {
      url: lhr.finalDisplayedUrl,
      scores: Object.fromEntries(Object.entries(lhr.categories).map(([id, category]) => [id, category.score])),
      failing: Object.values(lhr.audits)
        .filter(a => a.score !== null && a.score < 1 && ['binary', 'numeric', 'metricSavings'].includes(a.scoreDisplayMode))
        .map(a => `${a.id}: ${a.title}`),
      error: lhr.runtimeError?.message ?? null,
    };
  }
} finally {
  await chrome.kill();
}
console.log(JSON.stringify(report));
