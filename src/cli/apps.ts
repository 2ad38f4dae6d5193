import { applicationEntity, registeredApplicationEntity } from '../oauth/application-entity.js';
import { deleteApplication, listApplications, registerApplication } from '../oauth/applications.js';
import { CommandError, text, type Command } from './command.js';

export const appsCreate: Command = {
  usage:
    'apps:create --name NAME --redirect-uri URI [--redirect-uri URI…] [--scopes "read write"] [--website URL] [--resource-server]',
  options: {
    name: { type: 'string' },
    'redirect-uri': { type: 'string', multiple: true },
    scopes: { type: 'string' },
    website: { type: 'string' },
    'resource-server': { type: 'boolean' },
  },
  required: ['name', 'redirect-uri'],
  async run(deps, options) {
    const { app, clientSecret } = await registerApplication(deps, {
      client_name: text(options, 'name'),
      redirect_uris: options['redirect-uri'] as string[],
      scopes: options.scopes as string | undefined,
      website: options.website as string | undefined,
      resourceServer: options['resource-server'] === true,
    });
    // The same entity POST /api/v1/apps answers; the secret is shown here once and never stored.
    return registeredApplicationEntity(app, clientSecret);
  },
};

export const appsList: Command = {
  usage: 'apps:list',
  options: {},
  run: async (deps) =>
    (await listApplications(deps)).map((app) => ({
      ...applicationEntity(app),
      client_id: app.clientId,
      resource_server: app.resourceServer,
      created_at: new Date(app.createdAt).toISOString(),
    })),
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
