// Verifies webhook requests with @clerk/backend's verifyWebhook, as a
// relying app's handler written for Clerk does. Input on stdin:
// {"modules", "secret", "requests": [{"url", "headers", "body"}]}.
// Output: per request, {"type", "id"} of the verified event, or {"error"}.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { createRequire } = require('node:module');

async function main() {
  const input = JSON.parse(fs.readFileSync(0, 'utf8'));
  const { verifyWebhook } = createRequire(path.join(input.modules, 'x.js'))('@clerk/backend/webhooks');
  const out = [];
  for (const r of input.requests) {
    try {
      const evt = await verifyWebhook(new Request(r.url, { method: 'POST', headers: r.headers, body: r.body }),
        { signingSecret: input.secret });
      out.push({ type: evt.type, id: evt.data?.id || '' });
    } catch (err) {
      out.push({ error: String(err.message || err) });
    }
  }
  process.stdout.write(JSON.stringify(out));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
