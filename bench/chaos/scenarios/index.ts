// The fault scenarios of issues 7, 13 and 26, slowest first: the suite starts them in
// this order, so the long waits (stalled-job recovery, the SMTP outage)
// overlap with the short scenarios.
import type { Scenario } from '../scenario.js';
import { chromiumKill } from './chromium-kill.js';
import { clusterFailover } from './cluster-failover.js';
import { forbiddenStory } from './forbidden-story.js';
import { heldScenarios } from './held-answer.js';
import { malformedJobs } from './malformed-jobs.js';
import { redisRestart } from './redis-restart.js';
import { sentinelFailover } from './sentinel-failover.js';
import { sigtermBurst } from './sigterm-burst.js';
import { smtpOutage } from './smtp-outage.js';
import { teamsThrottled } from './teams-throttled.js';
import { workerKill } from './worker-kill.js';

export const SCENARIOS: Scenario[] = [workerKill, ...heldScenarios.filter((s) => s.id.endsWith('-kill')), smtpOutage, redisRestart, sentinelFailover, clusterFailover, chromiumKill, teamsThrottled, sigtermBurst, ...heldScenarios.filter((s) => !s.id.endsWith('-kill')), malformedJobs, forbiddenStory];
