// Makes docs/*.png: the sign-in, consent, code and error pages at 390 px (a phone) and 1280 px wide,
// in Chromium, against a Doorman that is already running with a user alice / 'a long password':
//   npx tsx docs/screenshots.ts http://127.0.0.1:3000
import { chromium } from 'playwright-core';

const base = process.argv[2] ?? 'http://127.0.0.1:3000';
const out = new URL('.', import.meta.url);
const app = (await (
  await fetch(`${base}/api/v1/apps`, {
    method: 'POST',
    body: new URLSearchParams({
      client_name: 'My reader',
      redirect_uris: 'urn:ietf:wg:oauth:2.0:oob',
      scopes: 'read write profile',
    }),
  })
).json()) as { client_id: string };
const authorize = `${base}/oauth/authorize?response_type=code&client_id=${app.client_id}&redirect_uri=urn:ietf:wg:oauth:2.0:oob&scope=read+write+profile`;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu'],
});
for (const width of [390, 1280]) {
  const page = await browser.newPage({ viewport: { width, height: width === 390 ? 844 : 800 } });
  const shot = (name: string) => page.screenshot({ path: new URL(`${name}-${width}.png`, out).pathname });
  await page.goto(authorize);
  await shot('sign-in');
  await page.getByLabel('User name or e-mail').fill('alice');
  await page.getByLabel('Password').fill('a long password');
  await Promise.all([
    page.waitForURL((u) => u.pathname === '/oauth/authorize'),
    page.getByRole('button', { name: 'Log in' }).click(),
  ]);
  await shot('consent');
  await page.getByRole('button', { name: 'Authorize' }).click();
  await page.locator('#authorization_code').waitFor();
  await shot('code');
  await page.goto(
    `${base}/oauth/authorize?response_type=code&client_id=unknown&redirect_uri=urn:ietf:wg:oauth:2.0:oob`,
  );
  await shot('unknown-app');
  await page.close();
}
await browser.close();
