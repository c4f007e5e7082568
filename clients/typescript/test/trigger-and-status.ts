// Drives a running service through the generated client: triggers crawl_pending, polls the execution until it has
// finished, reads the status report, and prints what it saw as one JSON object on standard output.
// SCHEDULER_URL: the service's address; SCHEDULER_TOKEN: an admin token.
import { createSchedulerClient } from "../src/index.js";

const baseUrl = required("SCHEDULER_URL");
const token = required("SCHEDULER_TOKEN");
const finished = new Set(["completed", "failed", "cancelled", "skipped"]);

const client = createSchedulerClient({ baseUrl, getToken: async () => token });

const triggered = await client.POST("/api/jobs/trigger", { body: { jobType: "crawl_pending" } });
if (!triggered.data) {
  fail(`trigger answered ${triggered.response.status}: ${JSON.stringify(triggered.error)}`);
}
const id = triggered.data.id;

let execution;
for (let attempt = 0; ; attempt++) {
  const read = await client.GET("/api/jobs/{id}", { params: { path: { id } } });
  if (!read.data) {
    fail(`GET /api/jobs/${id} answered ${read.response.status}: ${JSON.stringify(read.error)}`);
  }
  execution = read.data;
  if (finished.has(execution.status)) break;
  if (attempt >= 600) fail(`execution ${id} still ${execution.status} after ${attempt} polls`);
  await new Promise((resolve) => setTimeout(resolve, 100));
}

const status = await client.GET("/api/jobs/status");
if (!status.data) {
  fail(`GET /api/jobs/status answered ${status.response.status}: ${JSON.stringify(status.error)}`);
}
const crawlPending = status.data.jobs.find((job) => job.name === "crawl_pending") ?? null;

console.log(JSON.stringify({
  triggerStatus: triggered.response.status,
  id,
  status: execution.status,
  jobType: execution.jobType,
  crawlPending,
}));

function required(name: string): string {
  const value = process.env[name];
  if (!value) fail(`${name} is not set`);
  return value;
}

function fail(message: string): never {
  console.error(message);
  process.exit(1);
}
