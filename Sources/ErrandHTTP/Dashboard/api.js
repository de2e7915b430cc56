// The HTTP API as the dashboard calls it: the bearer token the viewer signed in with (kept in sessionStorage, never in
// a URL) goes in the Authorization header of every request; errors become APIError with the problem's detail.

const tokenKey = "errand.token";

/** The token this tab signed in with, or null. */
export function token() {
  return sessionStorage.getItem(tokenKey);
}

export function signIn(secret) {
  sessionStorage.setItem(tokenKey, secret);
}

export function signOut() {
  sessionStorage.removeItem(tokenKey);
}

/** The Authorization header, when the viewer signed in. */
export function authorization() {
  const secret = token();
  return secret ? { Authorization: `Bearer ${secret}` } : {};
}

/** A refused call: its HTTP status and the problem's detail. */
export class APIError extends Error {
  constructor(status, detail) {
    super(detail || `HTTP ${status}`);
    this.status = status;
  }
}

/**
 * Calls the API with `body` as JSON, or `text` as the JSON body verbatim; resolves to the answer's text (for readers
 * that need it verbatim), or throws an APIError.
 */
export async function callText(path, { method = "GET", body, text: bodyText } = {}) {
  const headers = { Accept: "application/json", ...authorization() };
  const sent = bodyText ?? (body === undefined ? undefined : JSON.stringify(body));
  if (sent !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, { method, headers, body: sent });
  const text = await response.text();
  if (!response.ok) {
    let detail;
    try {
      detail = JSON.parse(text).detail;
    } catch {
      detail = undefined;
    }
    throw new APIError(response.status, detail);
  }
  return text;
}

/** Calls the API; resolves to the parsed JSON body, or throws an APIError. */
export async function api(path, options) {
  const text = await callText(path, options);
  return text ? JSON.parse(text) : {};
}

/** A path with a query string made of the non-empty values of `params` (arrays give one pair per item). */
export function withQuery(path, params) {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    for (const item of Array.isArray(value) ? value : [value]) {
      if (item !== undefined && item !== null && item !== "") query.append(name, item);
    }
  }
  const text = query.toString();
  return text ? `${path}?${text}` : path;
}
