// The dashboard's "crawl now" button with the generated client: request and answer are typed from the service's
// OpenAPI document, so a renamed field or job-type route shows up as a compile error rather than at run time.
import { createSchedulerClient } from "../src/index.js";

declare const SCHEDULER_API: string;
declare function getToken(): Promise<string>;
declare const user: { id: string };
declare function monitorJob(id: string): void;

const scheduler = createSchedulerClient({ baseUrl: SCHEDULER_API, getToken });

export const triggerCrawlJob = async () => {
  const { data, error, response } = await scheduler.POST("/api/jobs/trigger", {
    body: { jobType: "crawl_pending", triggeredBy: user.id },
  });
  if (!data) {
    // 400 names the bad field, 403 needs Scheduler.Admin, 409 means a crawl is already running.
    throw new Error(`trigger failed (${response.status}): ${JSON.stringify(error)}`);
  }
  monitorJob(data.id);
};
