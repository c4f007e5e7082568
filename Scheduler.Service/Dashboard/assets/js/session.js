// The operator's token: kept in sessionStorage (gone when the tab closes), decoded only to show who is signed in
// and which controls to offer. The API verifies every token; nothing here is trusted for access.

const StorageKey = 'scheduler.dashboard.token';
export const AdminRole = 'Scheduler.Admin';
export const ReaderRole = 'Scheduler.Reader';

export function decodeJwtPayload(token) {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts[1]) throw new Error('This is not a JSON Web Token (expected three parts separated by dots).');
  const base64 = parts[1].replace(/-/g, '+').replace(/_/g, '/');
  const binary = atob(base64.padEnd(Math.ceil(base64.length / 4) * 4, '='));
  const bytes = Uint8Array.from(binary, c => c.charCodeAt(0));
  const payload = JSON.parse(new TextDecoder().decode(bytes));
  if (typeof payload !== 'object' || payload === null) throw new Error('The token\'s payload is not a JSON object.');
  return payload;
}

/** { token, who, roles, isAdmin, expiresAt } for a token, or throws with a reason a person can act on. */
export function describeToken(raw) {
  const token = String(raw ?? '').trim().replace(/^Bearer\s+/i, '');
  if (!token) throw new Error('Paste a token first.');
  let claims;
  try {
    claims = decodeJwtPayload(token);
  } catch (error) {
    throw new Error(error instanceof SyntaxError || error instanceof DOMException ? 'The token could not be decoded: it is not a JSON Web Token.' : error.message);
  }
  const roles = [claims.roles, claims.role].flat().filter(r => typeof r === 'string');
  const expiresAt = typeof claims.exp === 'number' ? new Date(claims.exp * 1000) : null;
  if (expiresAt && expiresAt.getTime() <= Date.now()) {
    throw new Error(`The token expired at ${expiresAt.toLocaleString()}. Get a new one and sign in again.`);
  }
  const who = [claims.name, claims.preferred_username, claims.upn, claims.email, claims.sub, claims.oid, claims.azp]
    .find(v => typeof v === 'string' && v.length > 0) ?? 'unknown caller';
  return { token, who, roles, isAdmin: roles.includes(AdminRole), expiresAt };
}

export function loadToken() {
  try {
    return sessionStorage.getItem(StorageKey);
  } catch {
    return null;
  }
}

export function saveToken(token) {
  sessionStorage.setItem(StorageKey, token);
}

export function forgetToken() {
  sessionStorage.removeItem(StorageKey);
}

/** Takes a token from "#token=<jwt>" (how ./run.sh's links sign in), stores it and removes it from the address bar. */
export function takeTokenFromUrl() {
  const match = /^#token=([^&]+)(?:&next=(.*))?$/.exec(location.hash);
  if (!match) return null;
  const next = match[2] ? decodeURIComponent(match[2]) : '/';
  history.replaceState(null, '', `${location.pathname}${location.search}#${next.startsWith('/') ? next : '/'}`);
  return decodeURIComponent(match[1]);
}
