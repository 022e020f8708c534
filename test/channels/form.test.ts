// A form body is parsed once: the gateway's content parser gives a route both the fields (the
// last value of each name, as before) and every parameter, and bodyParams (what signatures are
// computed over) uses those; a request without them is parsed from its bytes.
import t from 'tap';
import { bodyParams, formParams, lastValues } from '../../channels/form.js';
import { buildApp } from '../../gateway/app.js';
import { adminHeaders } from '../gateway/auth-helper.js';
import { world } from '../engine/helpers.js';
import type { Module } from '../../engine/module.js';

const TEXT = 'b=2&a=1&b=3&__proto__=x&10=ten&2=two&c=%C3%A9+%2B';

t.test('lastValues gives the fields Object.fromEntries gives', async (t) => {
  const fields = lastValues(formParams(TEXT));
  t.strictSame(fields, Object.fromEntries(new URLSearchParams(TEXT)));
  t.same(Object.keys(fields), Object.keys(Object.fromEntries(new URLSearchParams(TEXT))), 'same order of fields');
  t.ok(Object.hasOwn(fields, '__proto__'), '"__proto__" is an own field');
  t.equal(Object.getPrototypeOf(fields), Object.prototype);
});

t.test('bodyParams: the request’s parameters, else its bytes parsed; a GET has none', async (t) => {
  const form = formParams(TEXT);
  t.equal(bodyParams({ method: 'POST', rawBody: Buffer.from(TEXT), form }), form, 'the parameters given, not a new parse');
  t.same([...bodyParams({ method: 'POST', rawBody: Buffer.from(TEXT) })], [...form], 'parsed from the bytes');
  t.same([...bodyParams({ method: 'GET', rawBody: Buffer.from(TEXT) })], [], 'a GET has no body parameters');
});

t.test('through the gateway, a route gets the fields and the parameters of one parse', async (t) => {
  const seen: unknown[] = [];
  const module: Module = {
    name: 'form-reader',
    routes: [
      {
        method: 'POST',
        url: '/form-reader',
        async handle(req) {
          seen.push({ body: req.body, params: [...bodyParams(req)], given: req.form !== undefined });
          return { status: 200, body: 'ok' };
        },
      },
    ],
  };
  const app = buildApp(world({ modules: [module] }).engine);
  const res = await app.inject({ method: 'POST', url: '/form-reader', headers: { 'content-type': 'application/x-www-form-urlencoded', ...adminHeaders(app) }, payload: TEXT });
  t.equal(res.statusCode, 200);
  t.same(seen, [{ body: Object.fromEntries(new URLSearchParams(TEXT)), params: [...formParams(TEXT)], given: true }]);
});
