// The reasons a worker logs when Redis fails (instead of "Redis unreachable?"), pure.
import { describe, expect, it } from 'vitest';
import { explainRedisError } from '../../src/redis/redis-errors.js';

const withCode = (message: string, code: string): Error => Object.assign(new Error(message), { code });

describe('Redis errors explained', () => {
  it.each([
    [new Error('MOVED 4031 127.0.0.1:7101'), 'cluster-redirect', /REDIS_URL names one node of a Cluster; use redis-cluster:\/\//],
    [new Error('Too many Cluster redirections. Last error: MOVED 1 127.0.0.1:7000'), 'cluster-redirect', /resharding or failover/],
    [new Error("READONLY You can't write against a read only replica."), 'replica', /replica, not the master \(READONLY\).*reconnects to the new master/],
    [new Error('UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)'), 'failover', /changed role/],
    [new Error('WRONGPASS invalid username-password pair or user is disabled.'), 'auth', /refused the user name or password/],
    [new Error('NOAUTH Authentication required.'), 'auth', /requires a password/],
    [new Error('NOPERM this user has no permissions to run the \'eval\' command'), 'permission', /NOPERM/],
    [withCode('self-signed certificate in certificate chain', 'SELF_SIGNED_CERT_IN_CHAIN'), 'tls', /TLS failed \(SELF_SIGNED_CERT_IN_CHAIN: .*NODE_EXTRA_CA_CERTS/],
    [withCode("Hostname/IP does not match certificate's altnames", 'ERR_TLS_CERT_ALTNAME_INVALID'), 'tls', /TLS failed/],
    [withCode('connect ECONNREFUSED 127.0.0.1:6379', 'ECONNREFUSED'), 'refused', /nothing listens/],
    [withCode('getaddrinfo ENOTFOUND redis', 'ENOTFOUND'), 'dns', /does not resolve/],
    [new Error('All sentinels are unreachable. Retrying from scratch after 10ms. Last error: connect ECONNREFUSED'), 'sentinel', /no Sentinel/],
    [new Error('connected to sentinel 127.0.0.1:26379 successfully, but got an invalid reply: null'), 'sentinel', /#masterName/],
    [new Error('CLUSTERDOWN The cluster is down'), 'cluster-down', /Cluster is down/],
    [new Error('CROSSSLOT Keys in request don\'t hash to the same slot'), 'crossslot', /hash tag/],
    [new Error('Connection is closed.'), 'closed', /connection to Redis closed/],
    [new Error('something else entirely'), 'other', /^something else entirely$/],
  ])('%s', (err, problem, reason) => {
    const explained = explainRedisError(err);
    expect(explained.problem).toBe(problem);
    expect(explained.reason).toMatch(reason);
  });
});
