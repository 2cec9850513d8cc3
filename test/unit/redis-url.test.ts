// REDIS_URL forms (CONTRACT §2) and the Cluster prefix rule, pure.
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { clusterPrefixProblem, hashTagOf, parseRedisUrl, redactRedisUrl, type RedisTarget } from '../../src/redis/redis-url.js';

function target(url: string): RedisTarget {
  const parsed = parseRedisUrl(url);
  if (!parsed.ok) throw new Error(parsed.problems.join('; '));
  return parsed.target;
}

function problems(url: string): string[] {
  const parsed = parseRedisUrl(url);
  return parsed.ok ? [] : parsed.problems;
}

describe('REDIS_URL', () => {
  it('reads one node, with credentials, database and TLS; valkey schemes are aliases', () => {
    expect(target('redis://127.0.0.1:6379')).toEqual({ topology: 'single', nodes: [{ host: '127.0.0.1', port: 6379 }], tls: false, username: undefined, password: undefined, db: 0, masterName: undefined });
    expect(target('rediss://courier:p%40ss@redis.corp.com:6380/2')).toMatchObject({ topology: 'single', tls: true, username: 'courier', password: 'p@ss', db: 2, nodes: [{ host: 'redis.corp.com', port: 6380 }] });
    expect(target('redis://:secret@redis')).toMatchObject({ username: undefined, password: 'secret', nodes: [{ host: 'redis', port: 6379 }] });
    expect(target('valkeys://cache:6390')).toMatchObject({ topology: 'single', tls: true });
    expect(target('redis://[::1]:7000').nodes).toEqual([{ host: '::1', port: 7000 }]);
  });

  it('reads a Sentinel group: the Sentinels (default port 26379), the database and the master name; the password is the data nodes\'', () => {
    expect(target('redis-sentinel://:pw@s1:26380,s2,s3:26381/1#mymaster')).toEqual({
      topology: 'sentinel',
      nodes: [
        { host: 's1', port: 26380 },
        { host: 's2', port: 26379 },
        { host: 's3', port: 26381 },
      ],
      tls: false,
      username: undefined,
      password: 'pw',
      db: 1,
      masterName: 'mymaster',
    });
    expect(target('valkey-sentinel://s1#m').topology).toBe('sentinel');
  });

  it('reads a Cluster from any seed nodes, with or without TLS', () => {
    expect(target('redis-cluster://a:7000,b:7001')).toMatchObject({ topology: 'cluster', tls: false, nodes: [{ host: 'a', port: 7000 }, { host: 'b', port: 7001 }] });
    expect(target('rediss-cluster://user:pw@clustercfg.example.com:6379')).toMatchObject({ topology: 'cluster', tls: true, username: 'user', password: 'pw' });
  });

  it('names every problem of a wrong URL', () => {
    expect(problems('http://redis:6379')[0]).toMatch(/unknown scheme http:\/\/; expected redis:\/\/.*redis-sentinel:\/\/.*redis-cluster:\/\//);
    expect(problems('redis-sentinel://s1:26379,s2:26379').join()).toMatch(/names its master group after #/);
    expect(problems('redis-cluster://a:7000/3').join()).toMatch(/only database 0/);
    expect(problems('redis://a:6379,b:6379').join()).toMatch(/one node; several hosts mean a Sentinel group .* or a Cluster/);
    expect(problems('redis://a:99999/x')).toEqual(expect.arrayContaining([expect.stringMatching(/port 99999/), expect.stringMatching(/database after \/ must be a number/)]));
    expect(problems('rediss-sentinel://s1#m').join()).toMatch(/Sentinel with TLS is not supported/);
  });

  it('hides the password in messages', () => {
    expect(redactRedisUrl('redis-cluster://user:hunter2@a:1,b:2')).toBe('redis-cluster://user:***@a:1,b:2');
    expect(redactRedisUrl('redis://:hunter2@a')).toBe('redis://:***@a');
    expect(redactRedisUrl('redis://a:6379')).toBe('redis://a:6379');
  });
});

describe('the Cluster prefix', () => {
  it('finds the hash tag Redis Cluster would hash', () => {
    expect(hashTagOf('{courier}')).toBe('courier');
    expect(hashTagOf('acme-{courier}-prod')).toBe('courier');
    expect(hashTagOf('courier')).toBeNull();
    expect(hashTagOf('{}courier')).toBeNull();
    expect(hashTagOf('{courier')).toBeNull();
  });

  it('is refused without a hash tag on a Cluster, with the fix; fine elsewhere', () => {
    expect(clusterPrefixProblem({ topology: 'cluster' }, 'courier')).toMatch(/QUEUE_PREFIX="courier" has no hash tag.*CROSSSLOT.*Set QUEUE_PREFIX=\{courier\}/);
    expect(clusterPrefixProblem({ topology: 'cluster' }, '{courier}')).toBeNull();
    expect(clusterPrefixProblem({ topology: 'sentinel' }, 'courier')).toBeNull();
  });

  it('stops the configuration at start, naming the fix, without showing the password', () => {
    let error: unknown;
    try {
      loadConfig({ REDIS_URL: 'redis-cluster://:hunter2@a:7000,b:7001', QUEUE_PREFIX: 'courier' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toMatch(/Set QUEUE_PREFIX=\{courier\}/);
    expect(loadConfig({ REDIS_URL: 'redis-cluster://a:7000', QUEUE_PREFIX: '{courier}' }).queuePrefix).toBe('{courier}');
    const wrong = (() => {
      try {
        loadConfig({ REDIS_URL: 'redis://:hunter2@a:6379,b:6379' });
        return '';
      } catch (err) {
        return (err as Error).message;
      }
    })();
    expect(wrong).toContain('REDIS_URL="redis://:***@a:6379,b:6379"');
    expect(wrong).not.toContain('hunter2');
  });
});
