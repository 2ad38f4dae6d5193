import { applicationEntity, registeredApplicationEntity } from '../oauth/application-entity.js';
import {
  deleteApplication,
  listApplications,
  registerApplication,
  resourcesByApplication,
} from '../oauth/applications.js';
import { CommandError, text, type Command } from './command.js';

export const appsCreate: Command = {
  usage:
    'apps:create --name NAME --redirect-uri URI [--redirect-uri URI…] [--scopes "read write"] [--website URL] [--resource-server [--resource URI…]]',
  options: {
    name: { type: 'string' },
    'redirect-uri': { type: 'string', multiple: true },
    scopes: { type: 'string' },
    website: { type: 'string' },
    'resource-server': { type: 'boolean' },
    resource: { type: 'string', multiple: true },
  },
  required: ['name', 'redirect-uri'],
  async run(deps, options) {
    const { app, clientSecret } = await registerApplication(deps, {
      client_name: text(options, 'name'),
      redirect_uris: options['redirect-uri'] as string[],
      scopes: options.scopes as string | undefined,
      website: options.website as string | undefined,
      resourceServer: options['resource-server'] === true,
      resources: (options.resource as string[] | undefined) ?? [],
      registeredBy: 'operator',
    });
    // The same entity POST /api/v1/apps answers; the secret is shown here once and never stored.
    return registeredApplicationEntity(app, clientSecret);
  },
};

export const appsList: Command = {
  usage: 'apps:list',
  options: {},
  async run(deps) {
    const [apps, resources] = await Promise.all([listApplications(deps), resourcesByApplication(deps)]);
    return apps.map((app) => ({
      ...applicationEntity(app),
      client_id: app.clientId,
      public_client: app.clientSecretHash === null,
      registered_by: app.registeredBy,
      resource_server: app.resourceServer,
      ...(app.resourceServer ? { resources: resources.get(app.id) ?? [] } : {}),
      created_at: new Date(app.createdAt).toISOString(),
    }));
  },
};

export const appsDelete: Command = {
  usage: 'apps:delete --client-id ID',
  options: { 'client-id': { type: 'string' } },
  required: ['client-id'],
  async run(deps, options) {
    const clientId = text(options, 'client-id');
    if (!(await deleteApplication(deps, clientId)))
      throw new CommandError(`no application with client_id ${JSON.stringify(clientId)}`);
    return { deleted: true, client_id: clientId };
  },
};
