import type { Deps } from '../deps.js';
import { countUsers } from '../accounts/users.js';
import { DOORMAN_VERSION } from './software.js';

export const NODEINFO_SCHEMA = 'http://nodeinfo.diaspora.software/ns/schema/2.0';
export const NODEINFO_PATH = '/nodeinfo/2.0';

/** `GET /.well-known/nodeinfo`: where the NodeInfo document is. */
export function nodeinfoLinks(deps: Pick<Deps, 'config'>) {
  return { links: [{ rel: NODEINFO_SCHEMA, href: `${deps.config.issuer}${NODEINFO_PATH}` }] };
}

/** NodeInfo 2.0 as Mastodon fills it, for Doorman: no protocols, since it federates with nobody. */
export async function nodeinfo(deps: Pick<Deps, 'db' | 'config'>) {
  const users = await countUsers(deps);
  return {
    version: '2.0',
    software: { name: 'doorman', version: DOORMAN_VERSION },
    protocols: [],
    services: { outbound: [], inbound: [] },
    usage: { users: { total: users, activeMonth: users, activeHalfyear: users }, localPosts: 0 },
    openRegistrations: false,
    metadata: { nodeName: deps.config.instance.title, nodeDescription: deps.config.instance.description },
  };
}
