// Drives the portal's Backend API through @clerk/backend's client, as a
// relying app's server written for Clerk does, and prints what each call
// read back: {"<call>": {"value": …} or {"error": {status, errors}}}.
// Input on stdin: {"modules", "apiUrl", "secretKey"}.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { createRequire } = require('node:module');

async function main() {
  const input = JSON.parse(fs.readFileSync(0, 'utf8'));
  const { createClerkClient, verifyToken } = createRequire(path.join(input.modules, 'x.js'))('@clerk/backend');
  const clerk = createClerkClient({ secretKey: input.secretKey, apiUrl: input.apiUrl, telemetry: { disabled: true } });
  const out = {};
  async function step(name, fn) {
    try {
      const value = await fn();
      out[name] = { value: value === undefined ? null : value };
      return value;
    } catch (err) {
      out[name] = { error: { status: err.status || 0, errors: err.errors || String(err.message || err) } };
      return null;
    }
  }
  const u = await step('users.createUser', async () => {
    const x = await clerk.users.createUser({ emailAddress: ['grace@example.com'], password: 'correct horse battery staple 9',
      firstName: 'Grace', lastName: 'Hopper', publicMetadata: { plan: 'pro' } });
    return { id: x.id, email: x.primaryEmailAddress?.emailAddress, passwordEnabled: x.passwordEnabled, createdAt: x.createdAt };
  });
  const uid = u?.id;
  await step('users.getUserList', async () => (await clerk.users.getUserList({ limit: 10 })).data.map((x) => x.id));
  await step('users.getCount', () => clerk.users.getCount());
  await step('users.getUser', async () => {
    const x = await clerk.users.getUser(uid);
    return { name: x.fullName, email: x.primaryEmailAddress?.emailAddress, plan: x.publicMetadata.plan };
  });
  await step('users.updateUser', async () => (await clerk.users.updateUser(uid, { lastName: 'Murray' })).lastName);
  await step('users.updateUserMetadata', async () => (await clerk.users.updateUserMetadata(uid, { privateMetadata: { tier: 2 } })).privateMetadata);
  await step('users.verifyPassword', () => clerk.users.verifyPassword({ userId: uid, password: 'correct horse battery staple 9' }));
  await step('users.banUser', async () => (await clerk.users.banUser(uid)).banned);
  await step('users.unbanUser', async () => (await clerk.users.unbanUser(uid)).banned);
  await step('users.lockUser', async () => (await clerk.users.lockUser(uid)).locked);
  await step('users.unlockUser', async () => (await clerk.users.unlockUser(uid)).locked);
  const o = await step('organizations.createOrganization', async () => {
    const x = await clerk.organizations.createOrganization({ name: 'Acme Rockets', createdBy: uid });
    return { id: x.id, slug: x.slug };
  });
  const oid = o?.id;
  await step('organizations.getOrganizationList', async () => {
    const r = await clerk.organizations.getOrganizationList();
    return { total: r.totalCount, slugs: r.data.map((x) => x.slug) };
  });
  await step('organizations.updateOrganization', async () => (await clerk.organizations.updateOrganization(oid, { name: 'Acme' })).name);
  await step('organizations.getOrganizationMembershipList', async () => {
    const r = await clerk.organizations.getOrganizationMembershipList({ organizationId: oid });
    return r.data.map((m) => [m.role, m.publicUserData?.userId]);
  });
  const inv = await step('organizations.createOrganizationInvitation', async () => {
    const x = await clerk.organizations.createOrganizationInvitation({ organizationId: oid, emailAddress: 'bob@example.com',
      role: 'org:member', inviterUserId: uid });
    return { id: x.id, status: x.status, role: x.role };
  });
  await step('organizations.revokeOrganizationInvitation', async () =>
    (await clerk.organizations.revokeOrganizationInvitation({ organizationId: oid, invitationId: inv?.id, requestingUserId: uid })).status);
  await step('users.getOrganizationMembershipList', async () =>
    (await clerk.users.getOrganizationMembershipList({ userId: uid })).data.map((m) => m.organization.slug));
  const ai = await step('invitations.createInvitation', async () => {
    const x = await clerk.invitations.createInvitation({ emailAddress: 'carol@example.com' });
    return { id: x.id, status: x.status };
  });
  await step('invitations.revokeInvitation', async () => (await clerk.invitations.revokeInvitation(ai?.id)).status);
  await step('sessions.getSessionList', async () => (await clerk.sessions.getSessionList({ userId: uid })).totalCount);
  await step('jwks.getJwks', async () => (await clerk.jwks.getJwks()).keys.map((k) => [k.alg, k.use]));
  await step('jwtTemplates.create', async () => (await clerk.jwtTemplates.create({ name: 'hasura', claims: { uid: '{{user.id}}' } })).name);
  const sess = await step('sessions.createSession', async () => {
    const x = await clerk.sessions.createSession({ userId: uid });
    return { id: x.id, status: x.status, userId: x.userId };
  });
  const tok = await step('sessions.getToken', async () => (await clerk.sessions.getToken(sess?.id)).jwt);
  await step('verifyToken', async () => {
    const claims = await verifyToken(tok, { secretKey: input.secretKey, apiUrl: input.apiUrl });
    return [claims.sub === uid, claims.sid === sess?.id];
  });
  await step('sessions.getToken template', async () => {
    const claims = await verifyToken((await clerk.sessions.getToken(sess?.id, 'hasura')).jwt,
      { secretKey: input.secretKey, apiUrl: input.apiUrl });
    return claims.uid === uid;
  });
  await step('sessions.revokeSession', async () => (await clerk.sessions.revokeSession(sess?.id)).status);
  await step('emailAddresses.createEmailAddress', async () =>
    (await clerk.emailAddresses.createEmailAddress({ userId: uid, emailAddress: 'grace2@example.com', verified: true })).emailAddress);
  await step('phoneNumbers.createPhoneNumber', async () =>
    (await clerk.phoneNumbers.createPhoneNumber({ userId: uid, phoneNumber: '+14155550100', verified: true })).phoneNumber);
  await step('signInTokens.createSignInToken', async () =>
    (await clerk.signInTokens.createSignInToken({ userId: uid, expiresInSeconds: 600 })).status);
  await step('waitlistEntries.create', async () => (await clerk.waitlistEntries.create({ emailAddress: 'wanda@example.com' })).status);
  await step('users.getUser unknown', () => clerk.users.getUser('user_doesnotexist'));
  await step('organizations.deleteOrganization', async () => (await clerk.organizations.deleteOrganization(oid)).deleted);
  await step('users.deleteUser', async () => (await clerk.users.deleteUser(uid)).deleted);
  process.stdout.write(JSON.stringify(out));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
