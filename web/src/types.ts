/** The APIv3 shapes the dashboard reads (see shared/spec/copr-wire-contract.md §2). */
export interface Paginated<T> {
  items: T[];
  meta: { limit: number | null; offset: number | null; order: string | null; order_type: string | null };
}

/** The APIv3 objects, shared with the serializers that write them. */
export type {
  ApiBuild as Build,
  ApiBuildChroot as BuildChroot,
  ApiPackage as Package,
  ApiProject as Project,
  ApiSourcePackage as SourcePackage,
} from '../../functions/api/wire-types.js';

export type Permission = 'nothing' | 'request' | 'approved';

export interface QueueItem {
  build_id: number;
  chroot: string;
  owner: string;
  project: string;
  arch: string;
}

export interface QueueStatus {
  pending: QueueItem[];
  starting: QueueItem[];
  running: QueueItem[];
}

export interface ApiToken {
  api_login: string;
  api_token: string;
  expiration: string;
}
