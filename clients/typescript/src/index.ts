import createClient, { type Client, type ClientOptions, type Middleware } from "openapi-fetch";
import type { paths } from "./schema.js";

export type { components, operations, paths } from "./schema.js";

/** A client for the scheduler's HTTP API, typed by its OpenAPI document. */
export type SchedulerClient = Client<paths>;

export interface SchedulerClientOptions extends Omit<ClientOptions, "baseUrl"> {
  /** Where the service answers, e.g. `https://scheduler.example.com` (no `/api`: the paths carry it). */
  baseUrl: string;
  /**
   * Returns a bearer token for each request: a Clerk session token, an Entra access token or a local token.
   * Called before every request so that a refreshed token is used as soon as the identity provider issues it.
   */
  getToken: () => string | Promise<string>;
}

/** An openapi-fetch client whose every request carries `Authorization: Bearer <getToken()>`. */
export function createSchedulerClient({ baseUrl, getToken, ...options }: SchedulerClientOptions): SchedulerClient {
  const client = createClient<paths>({ ...options, baseUrl });
  const bearer: Middleware = {
    async onRequest({ request }) {
      request.headers.set("Authorization", `Bearer ${await getToken()}`);
      return request;
    },
  };
  client.use(bearer);
  return client;
}
