import { prune } from '../oauth/housekeeping.js';
import { CommandError, type Command } from './command.js';

export const tokensPrune: Command = {
  usage: 'tokens:prune',
  options: {},
  async run(deps) {
    const counts = await prune(deps);
    if (!counts)
      throw new CommandError('another Doorman process is pruning right now; nothing was deleted, try again later');
    return { deleted: counts };
  },
};
