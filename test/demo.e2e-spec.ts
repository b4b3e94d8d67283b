import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { createApp } from '../src/app.factory.js';
import { DEMO_USER } from '../src/database/database.schema.js';
import { PricingUpstream } from '../src/items/pricing.upstream.js';
import { valueOf } from './support/exposition.js';
import { initPlatformApp, PLATFORMS } from './support/platforms.js';

const METRICS_TOKEN = 'e2e-metrics-token';
const ENV_KEYS = ['DATABASE_PATH', 'METRICS_AUTH_TOKEN', 'ENABLE_METRICS'] as const;

// The same expectations on each platform HTTP_ADAPTER offers, byte for byte.
describe.each(PLATFORMS)('demo service on %s (e2e)', (platform) => {
  const savedEnv: Partial<Record<(typeof ENV_KEYS)[number], string>> = {};
  let app: INestApplication;
  let server: Parameters<typeof request>[0];

  beforeAll(async () => {
    for (const key of ENV_KEYS) {
      savedEnv[key] = process.env[key];
    }
    process.env.DATABASE_PATH = ':memory:';
    process.env.METRICS_AUTH_TOKEN = METRICS_TOKEN;
    process.env.ENABLE_METRICS = 'true';

    app = await initPlatformApp(await createApp({ logger: false }, platform));
    server = app.getHttpServer();
  });

  afterAll(async () => {
    await app?.close();
    for (const key of ENV_KEYS) {
      if (savedEnv[key] === undefined) {
        delete process.env[key];
      } else {
        process.env[key] = savedEnv[key];
      }
    }
  });

  // Runs first: the counters are cumulative, so exact values need a users cache nobody touched yet.
  describe('metrics wiring', () => {
    it('counts a users cache miss then a hit for two reads of the same user', async () => {
      await request(server).get('/users/1').expect(200);
      await request(server).get('/users/1').expect(200);

      const response = await request(server)
        .get('/metrics')
        .set('Authorization', `Bearer ${METRICS_TOKEN}`)
        .expect(200);

      const cacheGet = { cache: 'users', operation: 'get' };
      expect(
        valueOf(response.text, 'cache_operations_total', { ...cacheGet, result: 'miss' }),
      ).toBe(1);
      expect(valueOf(response.text, 'cache_operations_total', { ...cacheGet, result: 'hit' })).toBe(
        1,
      );
    });

    it('protects /metrics with METRICS_AUTH_TOKEN', async () => {
      const response = await request(server).get('/metrics');
      expect([401, 403]).toContain(response.status);
    });
  });

  describe('users', () => {
    it('creates, reads and deletes a user, then answers 404', async () => {
      const created = await request(server)
        .post('/users')
        .send({ name: 'Ada Lovelace', email: 'ada@example.com', password: 'analytical-engine' })
        .expect(201);
      expect(created.body).toEqual({
        id: expect.any(Number),
        name: 'Ada Lovelace',
        email: 'ada@example.com',
        createdAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
      });
      const { id } = created.body as { id: number };

      const fetched = await request(server).get(`/users/${id}`).expect(200);
      expect(fetched.body).toEqual(created.body);

      const deleted = await request(server).delete(`/users/${id}`).expect(204);
      expect(deleted.text).toBe('');

      await request(server)
        .get(`/users/${id}`)
        .expect(404, { message: `User ${id} not found`, error: 'Not Found', statusCode: 404 });
      await request(server)
        .delete(`/users/${id}`)
        .expect(404, { message: `User ${id} not found`, error: 'Not Found', statusCode: 404 });
    });

    it('never exposes the password hash', async () => {
      const response = await request(server).get('/users/1').expect(200);
      expect(response.body).toEqual({
        id: 1,
        name: DEMO_USER.name,
        email: DEMO_USER.email,
        createdAt: expect.any(String),
      });
      expect(response.text).not.toContain('scrypt');
    });

    it('answers 404 for an unknown id and 400 for a non-numeric one', async () => {
      await request(server)
        .get('/users/999999')
        .expect(404, { message: 'User 999999 not found', error: 'Not Found', statusCode: 404 });
      await request(server).get('/users/abc').expect(400, {
        message: 'Validation failed (numeric string is expected)',
        error: 'Bad Request',
        statusCode: 400,
      });
    });

    it('rejects a duplicate email with 409, whatever its case', async () => {
      const conflict = {
        message: 'Email is already registered',
        error: 'Conflict',
        statusCode: 409,
      };
      await request(server)
        .post('/users')
        .send({ name: 'Copy', email: DEMO_USER.email, password: 'long-enough' })
        .expect(409, conflict);
      await request(server)
        .post('/users')
        .send({ name: 'Copy', email: DEMO_USER.email.toUpperCase(), password: 'long-enough' })
        .expect(409, conflict);
    });

    it('rejects an invalid body with 400 and every reason', async () => {
      await request(server)
        .post('/users')
        .send({ name: '', email: 'not-an-email', password: 'short', isAdmin: true })
        .expect(400, {
          message: [
            'property isAdmin should not exist',
            'name should not be empty',
            'email must be an email',
            'password must be longer than or equal to 8 characters',
          ],
          error: 'Bad Request',
          statusCode: 400,
        });
    });

    it('rejects a name longer than 100 characters', async () => {
      await request(server)
        .post('/users')
        .send({ name: 'x'.repeat(101), email: 'long-name@example.com', password: 'long-enough' })
        .expect(400, {
          message: ['name must be shorter than or equal to 100 characters'],
          error: 'Bad Request',
          statusCode: 400,
        });
    });
  });

  describe('auth', () => {
    const login = (email: string, password: string) =>
      request(server).post('/auth/login').send({ email, password });

    it('issues a token for valid credentials', async () => {
      const response = await login(DEMO_USER.email, DEMO_USER.password).expect(200);
      expect(response.body).toEqual({ token: expect.stringMatching(/^[\w-]{43}$/) });
    });

    it('answers 401 for a wrong password or an unknown email', async () => {
      const unauthorized = {
        message: 'Invalid email or password',
        error: 'Unauthorized',
        statusCode: 401,
      };
      await login(DEMO_USER.email, 'wrong-password').expect(401, unauthorized);
      await login('nobody@example.com', DEMO_USER.password).expect(401, unauthorized);
    });

    it('answers 400 for a malformed login body', async () => {
      await login('not-an-email', '').expect(400, {
        message: ['email must be an email', 'password should not be empty'],
        error: 'Bad Request',
        statusCode: 400,
      });
    });

    it('guards /auth/me: 403 without or with a bad token, 200 with a login token', async () => {
      const forbidden = { message: 'Forbidden resource', error: 'Forbidden', statusCode: 403 };
      await request(server).get('/auth/me').expect(403, forbidden);
      await request(server)
        .get('/auth/me')
        .set('Authorization', 'Bearer not-a-token')
        .expect(403, forbidden);

      const { body } = await login(DEMO_USER.email, DEMO_USER.password).expect(200);
      const me = await request(server)
        .get('/auth/me')
        .set('Authorization', `Bearer ${(body as { token: string }).token}`)
        .expect(200);
      expect(me.body).toEqual({
        id: 1,
        name: DEMO_USER.name,
        email: DEMO_USER.email,
        createdAt: expect.any(String),
      });
    });

    it('stops honouring a token once its user is deleted', async () => {
      const user = {
        name: 'Short Lived',
        email: 'short-lived@example.com',
        password: 'password-1',
      };
      const created = await request(server).post('/users').send(user).expect(201);
      const { body } = await login(user.email, user.password).expect(200);
      const authorization = `Bearer ${(body as { token: string }).token}`;
      await request(server).get('/auth/me').set('Authorization', authorization).expect(200);

      await request(server)
        .delete(`/users/${(created.body as { id: number }).id}`)
        .expect(204);
      await request(server).get('/auth/me').set('Authorization', authorization).expect(403);
    });
  });

  describe('items', () => {
    it('echoes the id and the optional query', async () => {
      await request(server).get('/items/5').expect(200, { id: 5, q: null });
      await request(server).get('/items/5?q=lamp').expect(200, { id: 5, q: 'lamp' });
    });

    it('rejects a non-numeric id and unknown query parameters with 400', async () => {
      await request(server).get('/items/five').expect(400);
      await request(server)
        .get('/items/5?colour=red')
        .expect(400, {
          message: ['property colour should not exist'],
          error: 'Bad Request',
          statusCode: 400,
        });
    });

    it('prices an item through the pricing client', async () => {
      await request(server)
        .get('/items/7/price')
        .expect(200, { id: 7, price: 60.33, currency: 'EUR' });
    });

    it('maps a pricing failure to 502', async () => {
      await request(server).get('/items/13/price').expect(502, {
        message: 'Pricing service unavailable',
        error: 'Bad Gateway',
        statusCode: 502,
      });
    });

    it('counts the two pricing calls as outbound HTTP calls, by status, with no code for it', async () => {
      const host = new URL(app.get(PricingUpstream).url).host;
      const text = (
        await request(server)
          .get('/metrics')
          .set('Authorization', `Bearer ${METRICS_TOKEN}`)
          .expect(200)
      ).text;
      const calls = (status_code: string) =>
        valueOf(text, 'http_client_requests_total', { method: 'GET', host, status_code });
      expect([calls('200'), calls('503')]).toEqual([1, 1]);
    });

    it('turns an unhandled Error into a bare 500', async () => {
      await request(server)
        .get('/items/1/fail')
        .expect(500, { statusCode: 500, message: 'Internal server error' });
    });
  });

  describe('health', () => {
    it('reports ok and the uptime', async () => {
      const response = await request(server).get('/health').expect(200);
      expect(response.body).toEqual({ status: 'ok', uptime_seconds: expect.any(Number) });
      expect((response.body as { uptime_seconds: number }).uptime_seconds).toBeGreaterThanOrEqual(
        0,
      );
    });
  });
});
