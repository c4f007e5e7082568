// Sign-in by redirect: OpenID Connect authorization code with PKCE against the issuer /dashboard/config.json names,
// through oidc-client-ts (vendor/oidc-client-ts.min.js, the global `oidc`). Renewal before expiry is automatic: with a
// refresh token when the issuer gives one (scope offline_access), else in a hidden frame with prompt=none that the
// issuer answers to silent-renew.html.

/** { signIn: 'redirect' | 'token' | 'unconfigured', authority, clientId, scopes, tokenPasteAllowed, renewBeforeExpirySeconds } */
export async function loadSignInConfig() {
  const response = await fetch('/dashboard/config.json', { headers: { Accept: 'application/json' }, cache: 'no-store' });
  if (!response.ok) throw new Error(`The dashboard's sign-in settings could not be read (${response.status}).`);
  return response.json();
}

export function createUserManager(config) {
  const { UserManager, WebStorageStateStore } = window.oidc;
  const base = `${location.origin}/dashboard/`;
  return new UserManager({
    authority: config.authority,
    client_id: config.clientId,
    scope: config.scopes,
    response_type: 'code',
    redirect_uri: base,
    silent_redirect_uri: `${base}silent-renew.html`,
    post_logout_redirect_uri: base,
    automaticSilentRenew: true,
    accessTokenExpiringNotificationTimeInSeconds: config.renewBeforeExpirySeconds,
    loadUserInfo: false,
    // The tab's own storage, like a pasted token: gone when the tab closes.
    userStore: new WebStorageStateStore({ store: window.sessionStorage }),
    stateStore: new WebStorageStateStore({ store: window.sessionStorage }),
  });
}

/** Whether this load is the issuer's answer to a sign-in (?code=…&state=… or ?error=…&state=…). */
export function isSignInCallback() {
  const search = new URLSearchParams(location.search);
  return search.has('state') && (search.has('code') || search.has('error'));
}
