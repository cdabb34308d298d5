import type { Endpoint } from '../endpoint.ts';
import { el } from '../xml/build.ts';
import { NS } from '../xml/ns.ts';

/** Echo API 2: the HEIs the caller's key covers and the `echo` values sent (ewp-specs-api-echo). */
export const echoEndpoints: Endpoint[] = [
  {
    path: 'echo',
    methods: ['GET', 'POST'],
    async handle(ctx) {
      return el(
        'response',
        { xmlns: NS.echo },
        ctx.caller.heis.map((h) => el('hei-id', {}, h)),
        ctx.params.list('echo').map((v) => el('echo', {}, v)),
      );
    },
  },
];
