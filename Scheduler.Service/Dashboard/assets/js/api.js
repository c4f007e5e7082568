// Every call to the API: the bearer token on each request, problem details (RFC 9457) turned into ProblemError,
// and a 401 anywhere sends the operator back to the sign-in screen.

let tokenOf = () => null;
let onUnauthorized = () => {};

export function configureApi({ token, unauthorized }) {
  tokenOf = token;
  onUnauthorized = unauthorized;
}

export class ProblemError extends Error {
  constructor(status, problem) {
    super(problem?.title ?? `The service answered ${status}`);
    this.status = status;
    this.problem = problem ?? {};
  }
}

export const UnauthorizedMessage =
  'The service refused the token (401 Unauthorized): it has expired, or it is not from an issuer the service trusts. Sign in again.';

/** ?a=1&b=2 from an object, leaving out empty values. */
export function query(parameters) {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(parameters)) {
    if (value !== undefined && value !== null && value !== '') search.set(name, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

export async function request(path, { method = 'GET', body, signal } = {}) {
  const headers = { Accept: 'application/json, application/problem+json', Authorization: `Bearer ${tokenOf()}` };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal, cache: 'no-store' });
  } catch (error) {
    if (error.name === 'AbortError') throw error;
    throw new ProblemError(0, { title: 'The service could not be reached', detail: 'Check the connection and try again.' });
  }
  const text = await response.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = { title: text.slice(0, 300) };
    }
  }
  if (response.status === 401) {
    onUnauthorized(UnauthorizedMessage);
    throw new ProblemError(401, data ?? { title: 'Unauthorized' });
  }
  if (!response.ok) {
    const problem = data && typeof data === 'object' ? data : {};
    problem.title ??= `${response.status} ${response.statusText}`;
    if (response.status === 403) {
      problem.detail ??= 'Your token lacks the role this needs: Scheduler.Reader to read, Scheduler.Admin to change.';
    }
    throw new ProblemError(response.status, problem);
  }
  return { status: response.status, data, location: response.headers.get('Location') };
}

export async function get(path, options) {
  return (await request(path, options)).data;
}

export function post(path, body, options) {
  return request(path, { ...options, method: 'POST', body });
}

export function put(path, body, options) {
  return request(path, { ...options, method: 'PUT', body });
}

export function del(path, options) {
  return request(path, { ...options, method: 'DELETE' });
}
