// Runs @clerk/backend's authenticateRequest, as a relying app's server
// does, on the requests described on stdin, and prints what it decided.
// Input: {"modules": a node_modules holding @clerk/backend, "client": createClerkClient's
// options, "options": authenticateRequest's options, "requests":
// [{"url", "headers"}]}. Output: one object per request.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { createRequire } = require('node:module');

async function main() {
  const input = JSON.parse(fs.readFileSync(0, 'utf8'));
  const load = createRequire(path.join(input.modules, 'x.js'));
  const { createClerkClient } = load('@clerk/backend');
  const { createRedirect } = load('@clerk/backend/internal');
  const clerk = createClerkClient(input.client);
  const out = [];
  for (const r of input.requests) {
    const state = await clerk.authenticateRequest(new Request(r.url, { headers: r.headers }), input.options);
    const auth = state.isAuthenticated ? state.toAuth() : null;
    out.push({
      status: state.status,
      reason: state.reason || '',
      userId: auth?.userId || '',
      sessionId: auth?.sessionId || '',
      orgId: auth?.orgId || '',
      orgRole: auth?.orgRole || '',
      // Clerk's authorisation check, from the token's org_permissions.
      canManageMembers: auth ? auth.has({ permission: 'org:sys_memberships:manage' }) : false,
      location: state.headers.get('location') || '',
      // Where Clerk's own "redirect to sign-in" helper (what Next.js's
      // redirectToSignIn and auth.protect use) sends a signed-out
      // visitor, from the publishable key alone.
      signIn: createRedirect({
        publishableKey: input.client.publishableKey,
        baseUrl: new URL(r.url).origin,
        redirectAdapter: (url) => url,
      }).redirectToSignIn({ returnBackUrl: r.url }),
    });
  }
  process.stdout.write(JSON.stringify(out));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
