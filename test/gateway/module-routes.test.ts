// Routes a module declares are served by the gateway: validated by their schema, answered in
// the one error shape when refused, and handed only the engine's inbox.
import t from 'tap';
import { Type } from '@sinclair/typebox';
import { buildApp } from '../../gateway/app.js';
import { adminHeaders } from './auth-helper.js';
import { world, flow, pauseDays } from '../engine/helpers.js';
import type { Module } from '../../engine/module.js';

const hook: Module = {
  name: 'test-carrier',
  routes: [
    {
      method: 'POST',
      url: '/test-carrier/:number/inbound',
      schema: { body: Type.Object({ from: Type.String(), text: Type.String() }, { additionalProperties: false }) },
      async handle(req, { submit, now }) {
        const body = req.body as { from: string; text: string };
        const receipt = await submit(body.from, { kind: 'event', name: `sms${req.params['number']}`, properties: { text: body.text }, at: now() });
        return { status: 202, body: { delivered: receipt.delivered }, headers: { 'x-test': 'yes' } };
      },
    },
  ],
};

t.test('a module route is served, validated and reaches the inbox', async (t) => {
  const w = world({ modules: [hook] });
  w.people.defineEvent({ name: 'sms100', properties: [{ name: 'text', type: 'text' }] });
  w.people.upsert({ id: 'ana' });
  w.engine.save(flow('f', [pauseDays('p', 1)]));
  w.engine.launch('f');
  const app = buildApp(w.engine);
  const headers = adminHeaders(app);
  const ok = await app.inject({ method: 'POST', url: '/test-carrier/100/inbound', headers, payload: { from: 'ana', text: 'hi' } });
  t.equal(ok.statusCode, 202);
  t.equal(ok.headers['x-test'], 'yes');
  t.same(ok.json(), { delivered: 0 });
  const bad = await app.inject({ method: 'POST', url: '/test-carrier/100/inbound', headers, payload: { from: 'ana' } });
  t.equal(bad.statusCode, 400);
  t.equal(bad.json().error.code, 'JCT_REQUEST_INVALID');
});
