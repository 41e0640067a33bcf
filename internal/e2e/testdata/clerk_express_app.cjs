// A relying app on Express that uses Clerk's own middleware, configured
// only through Clerk's environment variables (CLERK_PUBLISHABLE_KEY,
// CLERK_SECRET_KEY, CLERK_API_URL, CLERK_PROXY_URL) pointed at a portal.
// CLERK_MODULES is the node_modules holding express and @clerk/express;
// PORTAL_SIGN_IN is the portal's sign-in page. It prints "listening PORT".
'use strict';
const path = require('node:path');
const { createRequire } = require('node:module');

const load = createRequire(path.join(process.env.CLERK_MODULES, 'x.js'));
const express = load('express');
const { clerkMiddleware, getAuth, clerkClient } = load('@clerk/express');

const app = express();
const server = app.listen(0, '127.0.0.1', () => {
  const origin = `http://127.0.0.1:${server.address().port}`;
  app.use(clerkMiddleware({ authorizedParties: [origin] }));
  app.get('/dashboard', async (req, res) => {
    const { userId, sessionId } = getAuth(req);
    if (!userId) {
      res.redirect(`${process.env.PORTAL_SIGN_IN}?redirect_url=${encodeURIComponent(origin + req.originalUrl)}`);
      return;
    }
    // The Backend API through the client @clerk/express makes from the
    // same environment.
    const user = await clerkClient.users.getUser(userId);
    res.type('text').send(`Signed in as ${userId} (${user.primaryEmailAddress.emailAddress}) in ${sessionId}`);
  });
  console.log(`listening ${server.address().port}`);
});
