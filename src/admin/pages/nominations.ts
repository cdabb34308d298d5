import type { Rec } from '../../ewp/data.ts';
import { html, seg, type Html } from '../html.ts';
import { badge, csrfField, notice, page, type PageContext } from '../layout.ts';

/** The nominations partners sent to one of our EWP HEIs. */
export interface NominationsModel {
  heis: { id: string; incoming: Rec[] }[];
  /** What the last decision did, or why it failed. */
  message?: { kind: 'ok' | 'error'; text: string };
}

/**
 * EWP nominations received (the receiving HEI's view): each incoming mobility with its status, and for
 * a nomination still open the two decisions, sent to the sending HEI with Outgoing Mobilities 3 update.
 * A rejection needs a comment for the sending HEI.
 */
export function renderNominations(ctx: PageContext, m: NominationsModel): Html {
  const b = ctx.base;
  const decide = (hei: string, id: string) =>
    html` <form method="post" action="${b}/ewp/nominations/${seg(hei)}/${seg(id)}/approve" class="inline">
        ${csrfField(ctx)} <label>Comment (optional) <input name="comment" maxlength="2000" /></label> <button type="submit">Approve</button>
      </form>
      <form method="post" action="${b}/ewp/nominations/${seg(hei)}/${seg(id)}/reject" class="inline">
        ${csrfField(ctx)} <label>Reason for the sending HEI <input name="comment" maxlength="2000" required /></label> <button type="submit">Reject</button>
      </form>`;
  return page(
    ctx,
    { title: 'EWP nominations received' },
    html` ${m.message ? notice(m.message.kind, m.message.text) : ''}
      <p class="hint">
        Students other institutions nominated to ours. A decision is sent to the sending HEI at once (Outgoing Mobilities 3 <code>update</code>) about the nomination as it is there now.
      </p>
      ${m.heis.map(
        (h) =>
          html` <section aria-labelledby="h-${h.id}">
            <h2 id="h-${h.id}">${h.id}</h2>
            ${
              h.incoming.length === 0
                ? html`<p>No nominations received.</p>`
                : html`<div class="scroll">
                    <table>
                      <thead>
                        <tr>
                          <th scope="col">Mobility</th>
                          <th scope="col">From</th>
                          <th scope="col">Academic year</th>
                          <th scope="col">Status</th>
                          <th scope="col">Decision</th>
                        </tr>
                      </thead>
                      <tbody>
                        ${h.incoming.map(
                          (r) =>
                            html`<tr>
                              <th scope="row">${String(r.data.omobilityId)}</th>
                              <td>${String(r.data.sendingInstitution)}</td>
                              <td>${String(r.data.receivingAcademicYear)}</td>
                              <td>${badge(String(r.data.status))}</td>
                              <td>${r.data.status === 'nominated' ? decide(h.id, String(r.data.omobilityId)) : '–'}</td>
                            </tr>`,
                        )}
                      </tbody>
                    </table>
                  </div>`
            }
          </section>`,
      )}`,
  );
}
