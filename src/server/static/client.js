// gatehouse-auth/client — generated from src/client/ by `npm run build:client`; do not edit.
// src/client/errors.ts
var GatehouseClientError = class extends Error {
  constructor(code, message, status = 0, fields) {
    super(message);
    this.code = code;
    this.status = status;
    this.fields = fields;
  }
  code;
  status;
  fields;
  name = "GatehouseClientError";
};
async function errorFrom(res) {
  try {
    const body = await res.json();
    const e = body.error;
    if (e && typeof e.code === "string")
      return new GatehouseClientError(
        e.code,
        typeof e.message === "string" ? e.message : e.code,
        res.status,
        e.fields && typeof e.fields === "object" ? e.fields : void 0
      );
  } catch {
  }
  return new GatehouseClientError("HTTP_ERROR", `The server answered ${res.status}.`, res.status);
}

// src/client/pkce.ts
function base64url(bytes) {
  let text = "";
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}
function createVerifier() {
  return base64url(crypto.getRandomValues(new Uint8Array(32)));
}
async function challengeOf(verifier) {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return base64url(new Uint8Array(digest));
}

// src/client/app-sign-in.ts
function pendingArea() {
  const area = globalThis.sessionStorage;
  if (!area) throw new Error("gatehouse client: app sign-in needs sessionStorage");
  return area;
}
var pendingKey = (host) => `${host.storageKey}.pkce`;
async function startAppSignIn(host, provider, options = {}) {
  const here = globalThis.location;
  const redirectUri = options.redirectUri ?? (here ? `${here.origin}${here.pathname}` : "");
  if (!redirectUri) throw new Error("gatehouse client: loginWith needs a redirectUri here");
  const verifier = createVerifier();
  const pending = { verifier, provider, redirectUri };
  pendingArea().setItem(pendingKey(host), JSON.stringify(pending));
  const query = new URLSearchParams({
    redirect_uri: redirectUri,
    code_challenge: await challengeOf(verifier),
    code_challenge_method: "S256"
  });
  return host.url(`/auth/oauth/${encodeURIComponent(provider)}?${query}`);
}
async function completeAppSignIn(host, fetcher, url) {
  const params = new URL(url).searchParams;
  const code = params.get("code");
  const failed = params.get("error");
  if (!code && !failed) return null;
  const area = pendingArea();
  const raw = area.getItem(pendingKey(host));
  area.removeItem(pendingKey(host));
  if (!raw) throw new GatehouseClientError("NO_PENDING_SIGN_IN", "No sign-in was started in this tab.");
  if (failed) throw new GatehouseClientError(failed, params.get("error_description") ?? failed);
  const pending = JSON.parse(raw);
  const res = await fetcher(host.url("/api/auth/oauth/token"), {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ code, code_verifier: pending.verifier }),
    credentials: "omit"
  });
  if (!res.ok) throw await errorFrom(res);
  return host.acceptTokens(await res.json());
}

// src/client/storage.ts
function memoryAdapter() {
  const values = /* @__PURE__ */ new Map();
  return {
    get: (k) => values.get(k) ?? null,
    set: (k, v) => void values.set(k, v),
    remove: (k) => void values.delete(k)
  };
}
function webStorage(area) {
  const storage = globalThis[area];
  if (!storage) throw new Error(`gatehouse client: ${area} is not available here`);
  return {
    get: (k) => storage.getItem(k),
    set: (k, v) => storage.setItem(k, v),
    remove: (k) => storage.removeItem(k),
    shared: area === "localStorage"
  };
}
function tokenStateOf(value) {
  const v = value;
  if (typeof v?.access_token !== "string" || typeof v.refresh_token !== "string") return null;
  return {
    access_token: v.access_token,
    refresh_token: v.refresh_token,
    expires_at: typeof v.expires_at === "number" ? v.expires_at : 0
  };
}
function parse(raw) {
  if (!raw) return null;
  try {
    return tokenStateOf(JSON.parse(raw));
  } catch {
    return null;
  }
}
function tokenStore(choice, key) {
  const adapter = choice === "memory" ? memoryAdapter() : choice === "local" ? webStorage("localStorage") : choice === "session" ? webStorage("sessionStorage") : choice;
  return {
    shared: adapter.shared === true,
    load: async () => parse(await adapter.get(key)),
    save: async (state) => {
      await adapter.set(key, JSON.stringify(state));
    },
    clear: async () => {
      await adapter.remove(key);
    }
  };
}

// src/client/lock.ts
async function withTabLock(name, task) {
  const locks = globalThis.navigator?.locks;
  if (!locks?.request) return task(false);
  const free = await locks.request(
    name,
    { mode: "exclusive", ifAvailable: true },
    async (lock) => lock ? { value: await task(false) } : null
  );
  if (free) return free.value;
  return locks.request(name, { mode: "exclusive" }, () => task(true));
}
function messageOf(data) {
  const type = data?.type;
  if (type === "logout" || type === "refresh-failed") return { type };
  if (type !== "tokens") return null;
  const state = tokenStateOf(data.state);
  return state ? { type, state } : null;
}
function tabChannel(name, onMessage) {
  if (typeof BroadcastChannel !== "function") return { post: () => {
  }, close: () => {
  } };
  const channel = new BroadcastChannel(name);
  channel.onmessage = (event) => {
    const message = messageOf(event.data);
    if (message) onMessage(message);
  };
  return { post: (m) => channel.postMessage(m), close: () => channel.close() };
}

// src/client/client.ts
var TAB_WAIT_MS = 1e3;
var GatehouseClient = class {
  baseUrl;
  storageKey;
  #store;
  #leewayMs;
  #now;
  #fetch;
  #channel;
  #listeners = /* @__PURE__ */ new Set();
  #state = null;
  #loaded = null;
  #refreshing = null;
  /** Messages heard from other tabs, and the refreshes waiting for the next one. */
  #heard = 0;
  #waiters = /* @__PURE__ */ new Set();
  constructor(options = {}) {
    const origin = globalThis.location?.origin ?? "";
    this.baseUrl = (options.baseUrl ?? origin).replace(/\/+$/, "");
    this.storageKey = options.storageKey ?? "gatehouse.tokens";
    this.#store = tokenStore(options.storage ?? "memory", this.storageKey);
    this.#leewayMs = (options.refreshLeeway ?? 30) * 1e3;
    this.#now = options.now ?? Date.now;
    this.#fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.#channel = this.#store.shared ? tabChannel(`gatehouse:${this.storageKey}`, (m) => this.#fromOtherTab(m)) : { post: () => {
    }, close: () => {
    } };
  }
  /** `POST /api/auth/signup`: creates the account (log in afterwards). */
  async signUp(input) {
    const body = await this.#json("/api/auth/signup", input);
    return body.user;
  }
  /** `POST /api/auth/login` with a username or email and the password; keeps the tokens. */
  async login(input) {
    const res = await this.#post("/api/auth/login", input);
    if (res.status === 202)
      throw new GatehouseClientError("SIGN_IN_PENDING", "A second step is required.", 202);
    if (!res.ok) throw await errorFrom(res);
    return this.acceptTokens(await res.json());
  }
  /**
   * Keeps a token pair the server issued (login, app sign-in) and tells the other tabs.
   * Returns the pair's user when it came with one, else `GET /api/me`.
   */
  async acceptTokens(pair) {
    await this.#setState(this.#stateOf(pair), "login");
    return pair.user ?? this.me();
  }
  /** Ends the refresh family and the access token on the server, and forgets both here. */
  async logout() {
    await this.#ready();
    const state = this.#state;
    try {
      if (state) await this.fetch("/api/auth/logout", this.#jsonInit({ refresh_token: state.refresh_token }));
    } finally {
      await this.#setState(null, "logout");
    }
  }
  /** `GET /api/me`: the signed-in user; throws UNAUTHENTICATED when there is none. */
  async me() {
    const res = await this.fetch("/api/me");
    if (!res.ok) throw await errorFrom(res);
    return (await res.json()).user;
  }
  /** "Login with a saved token": the user when the stored tokens still work, else null (and they are cleared). */
  async restore() {
    await this.#ready();
    if (!this.#state) return null;
    try {
      return await this.me();
    } catch (error) {
      if (error instanceof GatehouseClientError && error.status === 401) {
        await this.#setState(null, "logout");
        return null;
      }
      throw error;
    }
  }
  /** `GET /api/auth/providers`: the sign-in providers the server offers. */
  async providers() {
    const res = await this.#fetch(this.url("/api/auth/providers"), { credentials: "omit" });
    if (!res.ok) throw await errorFrom(res);
    return (await res.json()).providers;
  }
  /**
   * App sign-in with a provider: makes the PKCE pair and sends the browser to the server's
   * provider flow. Back on `redirectUri`, call completeLoginWith().
   */
  async loginWith(provider, options = {}) {
    const target = await startAppSignIn(this, provider, options);
    globalThis.location?.assign(target);
  }
  /**
   * On the redirect URI (default this page's URL): swaps `?code=` and the kept verifier for
   * the tokens, removes the code from the address bar, and returns the user — or null when
   * the URL carries no code. Throws NO_PENDING_SIGN_IN for a code this tab did not ask for.
   */
  async completeLoginWith(url) {
    const here = globalThis.location;
    const target = url ?? here?.href;
    if (!target) return null;
    const user = await completeAppSignIn(this, this.#fetch, target);
    if (user && here && !url) {
      const clean = new URL(here.href);
      for (const k of ["code", "error", "error_description"]) clean.searchParams.delete(k);
      history.replaceState(history.state, "", clean.pathname + clean.search + clean.hash);
    }
    return user;
  }
  /** Tokens are held (they may still need a refresh). */
  get loggedIn() {
    return this.#state !== null;
  }
  /** Hears logins, refreshes and logouts, this tab's and (with shared storage) the others'. */
  onChange(listener) {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
  /** Stops listening to the other tabs. */
  close() {
    this.#channel.close();
    this.#listeners.clear();
  }
  /**
   * fetch() with `Authorization: Bearer` for requests to the server (never to another
   * origin). Refreshes first when the access token expires within the leeway, and once more
   * on a 401. A body that is a stream cannot be sent twice: such a request is not retried.
   */
  async fetch(input, init = {}) {
    await this.#ready();
    let state = this.#state;
    if (state && state.expires_at - this.#now() < this.#leewayMs)
      state = await this.refresh(state.access_token);
    const ours = this.#isOurs(input);
    const used = ours ? state?.access_token ?? null : null;
    const retry = input instanceof Request ? input.clone() : input;
    const res = await this.#send(input, init, used);
    if (res.status !== 401 || !used || init.body instanceof ReadableStream) return res;
    const next = await this.refresh(used);
    return next ? this.#send(retry, init, next.access_token) : res;
  }
  /**
   * Swaps the refresh token for a new pair — once, however many callers ask at the same
   * time, in this tab (one promise) and across tabs (the lock; a tab that waited for it adopts
   * the pair the first one announced). `spent` is the access token the caller found expired or
   * refused (default the current one): when the state already moved past it, nothing is sent.
   * Null when logged out.
   */
  refresh(spent) {
    const base = spent ?? this.#state?.access_token;
    const heard = this.#heard;
    const run = (contended) => this.#refreshLocked(base, contended && this.#heard === heard);
    this.#refreshing ??= (this.#store.shared ? withTabLock(`gatehouse-refresh:${this.storageKey}`, run) : run(false)).finally(() => {
      this.#refreshing = null;
    });
    return this.#refreshing;
  }
  /** `waitForTab`: another tab held the lock and nothing was heard from it yet. */
  async #refreshLocked(spent, waitForTab) {
    await this.#ready();
    const base = spent ?? this.#state?.access_token;
    let current = await this.#newest(base);
    if (waitForTab && current && current.access_token === base) {
      await this.#nextMessage(TAB_WAIT_MS);
      current = await this.#newest(base);
    }
    if (!current) return null;
    const moved = current.access_token !== base;
    if (moved && current.expires_at - this.#now() >= this.#leewayMs) return current;
    let res;
    try {
      res = await this.#post("/api/auth/refresh", { refresh_token: current.refresh_token });
    } catch (error) {
      this.#channel.post({ type: "refresh-failed" });
      throw error;
    }
    if (res.ok) {
      const next = this.#stateOf(await res.json());
      await this.#setState(next, "refresh");
      return next;
    }
    if (res.status === 400 || res.status === 401) {
      await this.#setState(null, "logout");
      return null;
    }
    this.#channel.post({ type: "refresh-failed" });
    throw await errorFrom(res);
  }
  /**
   * The newest state this tab can know: its own (kept current by the other tabs' messages),
   * or shared storage when that already shows a pair past `base`. A storage that reads empty
   * is not taken for a logout: a logout arrives as a message, and storage may lag behind.
   */
  async #newest(base) {
    const mine = this.#state;
    if (!this.#store.shared || !mine || mine.access_token !== base) return mine;
    const stored = await this.#store.load();
    if (stored && stored.access_token !== base) this.#state = stored;
    return this.#state;
  }
  #nextMessage(timeoutMs) {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.#waiters.add(done);
    });
  }
  /** A path on the server as an absolute URL. */
  url(path) {
    return `${this.baseUrl}${path}`;
  }
  #stateOf(pair) {
    return {
      access_token: pair.access_token,
      refresh_token: pair.refresh_token,
      expires_at: this.#now() + pair.expires_in * 1e3
    };
  }
  async #setState(state, type) {
    this.#state = state;
    if (state) await this.#store.save(state);
    else await this.#store.clear();
    this.#channel.post(state ? { type: "tokens", state } : { type: "logout" });
    this.#emit({ type, remote: false });
  }
  #fromOtherTab(message) {
    this.#heard++;
    for (const wake of this.#waiters) wake();
    this.#waiters.clear();
    if (message.type === "refresh-failed") return;
    const had = this.#state !== null;
    this.#state = message.type === "logout" ? null : message.state;
    const type = message.type === "logout" ? "logout" : had ? "refresh" : "login";
    this.#emit({ type, remote: true });
  }
  #emit(change) {
    for (const listener of this.#listeners) listener(change);
  }
  #ready() {
    this.#loaded ??= this.#store.load().then((state) => {
      this.#state ??= state;
    });
    return this.#loaded;
  }
  #isOurs(input) {
    const raw = input instanceof Request ? input.url : String(input);
    if (raw.startsWith("/") && !raw.startsWith("//")) return true;
    try {
      const target = new URL(raw);
      const base = new URL(this.baseUrl || "http://invalid");
      return target.origin === base.origin && target.pathname.startsWith(base.pathname.replace(/\/?$/, "/"));
    } catch {
      return false;
    }
  }
  #send(input, init, token) {
    const target = typeof input === "string" && input.startsWith("/") ? this.url(input) : input;
    const headers = new Headers(init.headers ?? (input instanceof Request ? input.headers : void 0));
    if (token) headers.set("authorization", `Bearer ${token}`);
    return this.#fetch(target, { credentials: "omit", ...init, headers });
  }
  #jsonInit(body) {
    return { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) };
  }
  #post(path, body) {
    return this.#fetch(this.url(path), { ...this.#jsonInit(body), credentials: "omit" });
  }
  async #json(path, body) {
    const res = await this.#post(path, body);
    if (!res.ok) throw await errorFrom(res);
    return await res.json();
  }
};

// src/entries/client.ts
function createClient(options = {}) {
  return new GatehouseClient(options);
}
export {
  GatehouseClient,
  GatehouseClientError,
  challengeOf,
  createClient,
  createVerifier
};
