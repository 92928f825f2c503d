import type { OAuthContext } from './context.js';
import type { UserTable } from '../store/schema.js';
import { identityUrl } from './token-response.js';

export const LATEST_API_VERSION = '66.0';

function urls(ctx: OAuthContext, user: UserTable) {
  const base = `${ctx.urls.instanceUrl}/services/data/v{version}`;
  return {
    enterprise: `${ctx.urls.instanceUrl}/services/Soap/c/{version}/${ctx.org.orgId}`,
    metadata: `${ctx.urls.instanceUrl}/services/Soap/m/{version}/${ctx.org.orgId}`,
    partner: `${ctx.urls.instanceUrl}/services/Soap/u/{version}/${ctx.org.orgId}`,
    rest: `${base}/`,
    sobjects: `${base}/sobjects/`,
    search: `${base}/search/`,
    query: `${base}/query/`,
    recent: `${base}/recent/`,
    tooling_soap: `${ctx.urls.instanceUrl}/services/Soap/T/{version}/${ctx.org.orgId}`,
    tooling_rest: `${base}/tooling/`,
    profile: `${ctx.urls.instanceUrl}/${user.id}`,
    feeds: `${base}/chatter/feeds`,
    groups: `${base}/chatter/groups`,
    users: `${base}/chatter/users`,
    feed_items: `${base}/chatter/feed-items`,
    feed_elements: `${base}/chatter/feed-elements`,
    custom_domain: ctx.urls.instanceUrl,
  };
}

const displayName = (user: UserTable) => [user.first_name, user.last_name].filter(Boolean).join(' ');

/** The identity URL's JSON, as `GET /id/{orgId}/{userId}` answers it. */
export function identityDocument(ctx: OAuthContext, user: UserTable) {
  return {
    id: identityUrl(ctx, user.id),
    asserted_user: true,
    user_id: user.id,
    organization_id: ctx.org.orgId,
    username: user.username,
    nick_name: user.username.split('@')[0],
    display_name: displayName(user),
    email: user.email,
    email_verified: true,
    first_name: user.first_name,
    last_name: user.last_name,
    timezone: 'GMT',
    photos: { picture: `${ctx.urls.instanceUrl}/img/userprofile/default_profile_200_v2.png`, thumbnail: `${ctx.urls.instanceUrl}/img/userprofile/default_profile_45_v2.png` },
    addr_street: null, addr_city: null, addr_state: null, addr_country: null, addr_zip: null,
    mobile_phone: null,
    mobile_phone_verified: false,
    is_lightning_login_user: false,
    status: { created_date: null, body: null },
    urls: urls(ctx, user),
    active: user.active === 1,
    user_type: 'STANDARD',
    language: 'en_US',
    locale: 'en_US',
    utcOffset: 0,
    last_modified_date: new Date(user.updated_at).toISOString().replace('Z', '+0000'),
    is_app_installed: true,
  };
}

/** OpenID Connect UserInfo, with Salesforce's extra claims. */
export function userInfoDocument(ctx: OAuthContext, user: UserTable) {
  const identity = identityDocument(ctx, user);
  return {
    sub: identity.id,
    user_id: user.id,
    organization_id: ctx.org.orgId,
    preferred_username: user.username,
    nickname: identity.nick_name,
    name: identity.display_name,
    email: user.email,
    email_verified: true,
    given_name: user.first_name,
    family_name: user.last_name,
    zoneinfo: 'GMT',
    photos: identity.photos,
    profile: identity.urls.profile,
    picture: identity.photos.picture,
    address: {},
    is_salesforce_integration_user: user.licence === 'Salesforce Integration',
    urls: identity.urls,
    active: identity.active,
    user_type: identity.user_type,
    language: identity.language,
    locale: identity.locale,
    utcOffset: identity.utcOffset,
    updated_at: new Date(user.updated_at).toISOString().replace('Z', '+0000'),
    is_app_installed: true,
  };
}
