// The registry of built-in providers. Users add their own modules through `providers: [...]`
// in the config; built-ins are not special.
import type { Provider, Unverifiable } from './kit.ts'
import { github } from './github.ts'
// imports: batch A
import { brex } from './brex.ts'
import { clerk } from './clerk.ts'
import { hmac } from './hmac.ts'
import { openai } from './openai.ts'
import { polar } from './polar.ts'
import { replicate } from './replicate.ts'
import { resend } from './resend.ts'
import { slack } from './slack.ts'
import { standardWebhooks } from './standard-webhooks.ts'
import { stripe } from './stripe.ts'
import { svix } from './svix.ts'
// imports: batch B
import { dropbox } from './dropbox.ts'
import { intercom } from './intercom.ts'
import { jira } from './jira.ts'
import { mailchimp } from './mailchimp.ts'
import { mandrill } from './mandrill.ts'
import { pusher } from './pusher.ts'
import { sendgrid } from './sendgrid.ts'
import { trello } from './trello.ts'
import { twilio } from './twilio.ts'
import { vonage } from './vonage.ts'
// imports: batch C
import { bitbucket } from './bitbucket.ts'
import { braintree } from './braintree.ts'
import { circleci } from './circleci.ts'
import { dialogflow } from './dialogflow.ts'
import { discord } from './discord.ts'
import { gitlab } from './gitlab.ts'
import { linear } from './linear.ts'
import { mailgun } from './mailgun.ts'
import { paddle } from './paddle.ts'
import { paddleClassic } from './paddle-classic.ts'
import { shopify } from './shopify.ts'
import { telnyx } from './telnyx.ts'
import { travis } from './travis.ts'
// imports: batch D
import { calendly } from './calendly.ts'
import { coinbaseCommerce } from './coinbase-commerce.ts'
import { hubspot } from './hubspot.ts'
import { lemonSqueezy } from './lemon-squeezy.ts'
import { facebook, instagram, meta, whatsapp } from './meta.ts'
import { sentry } from './sentry.ts'
import { square } from './square.ts'
import { twitch } from './twitch.ts'
import { twitter } from './twitter.ts'
import { typeform } from './typeform.ts'
import { vercel } from './vercel.ts'
import { xero } from './xero.ts'
import { zoom } from './zoom.ts'
// imports: batch E
import { customerio } from './customerio.ts'
import { forgejo, gitea } from './gitea.ts'
import { mux } from './mux.ts'
import { postmark } from './postmark.ts'
import { segment } from './segment.ts'
import { webflow } from './webflow.ts'
import { woocommerce } from './woocommerce.ts'
import { zendesk } from './zendesk.ts'
// imports: batch F
import { asana } from './asana.ts'
import { docusign } from './docusign.ts'
import { okta } from './okta.ts'
import { pagerduty } from './pagerduty.ts'
import { paystack } from './paystack.ts'
import { razorpay } from './razorpay.ts'
import { terraform } from './terraform.ts'
import { workos } from './workos.ts'

export * from './kit.ts'

export const builtinProviders: Provider[] = [
  github,
  // providers: batch A
  stripe,
  slack,
  standardWebhooks,
  svix,
  clerk,
  resend,
  openai,
  brex,
  replicate,
  polar,
  hmac,
  // providers: batch B
  vonage,
  { ...vonage, name: 'nexmo', title: 'Nexmo (Vonage)' },
  mandrill,
  mailchimp,
  trello,
  pusher,
  twilio,
  sendgrid,
  intercom,
  dropbox,
  jira,
  // providers: batch C
  travis,
  circleci,
  braintree,
  dialogflow,
  shopify,
  discord,
  telnyx,
  gitlab,
  bitbucket,
  mailgun,
  paddle,
  paddleClassic,
  linear,
  // providers: batch D
  zoom,
  square,
  twitch,
  meta,
  facebook,
  instagram,
  whatsapp,
  twitter,
  typeform,
  calendly,
  hubspot,
  xero,
  sentry,
  vercel,
  lemonSqueezy,
  coinbaseCommerce,
  // providers: batch E
  gitea,
  forgejo,
  zendesk,
  woocommerce,
  mux,
  postmark,
  segment,
  webflow,
  customerio,
  // providers: batch F
  docusign,
  pagerduty,
  okta,
  asana,
  workos,
  razorpay,
  paystack,
  terraform,
]

/** Providers that cannot be verified offline by design, or whose senders are gone. */
export const unverifiable: Unverifiable[] = [
  // unverifiable: any batch
  {
    name: 'aws-sns',
    title: 'Amazon SNS',
    docs: 'https://docs.aws.amazon.com/sns/latest/dg/sns-verify-signature-of-message.html',
    reason: 'needs an online certificate fetch: messages are signed with an AWS key whose X.509 certificate must be downloaded from the SigningCertURL named in each message; planned',
  },
  {
    name: 'paypal',
    title: 'PayPal',
    docs: 'https://developer.paypal.com/api/rest/webhooks/rest/',
    reason: "verification needs PayPal online: either a call to its verify-webhook-signature API or a fetch of the signing certificate named in the paypal-cert-url header",
  },
  {
    name: 'google-pubsub',
    title: 'Google Cloud Pub/Sub push',
    docs: 'https://cloud.google.com/pubsub/docs/authenticate-push-subscriptions',
    reason: "push requests carry an OIDC JWT signed with Google's rotating keys, which must be fetched from Google's published JWKS",
  },
  {
    name: 'plaid',
    title: 'Plaid',
    docs: 'https://plaid.com/docs/api/webhooks/webhook-verification/',
    reason: 'the Plaid-Verification JWT (ES256) is signed with a key that must be fetched by its kid from the /webhook_verification_key/get API with your client credentials',
  },
  {
    name: 'ebay',
    title: 'eBay Notifications',
    docs: 'https://developer.ebay.com/marketplace-account-deletion',
    reason: "the X-EBAY-SIGNATURE ECDSA signature's public key must be fetched by key id from eBay's Notification API (getPublicKey, OAuth-authenticated)",
  },
  {
    name: 'salesforce-outbound-messages',
    title: 'Salesforce Outbound Messages',
    docs: 'https://developer.salesforce.com/docs/atlas.en-us.api.meta/api/sforce_api_om_outboundmessaging_security.htm',
    reason: "messages carry no signature or shared secret: authenticity rests on Salesforce's IP ranges and TLS client certificate, which a provider module cannot see (use allowIps and check the OrganizationId in the body)",
  },
  {
    name: 'automatic',
    title: 'Automatic',
    docs: 'https://www.theverge.com/2020/5/1/21244295/automatic-labs-vehicle-tracking-service-covid-19-pandemic-rebate-may-28th',
    reason: 'sender gone: Automatic Labs shut down its connected-car service and platform on 28 May 2020',
  },
  {
    name: 'hipchat',
    title: 'HipChat',
    docs: 'https://www.techtarget.com/searchitoperations/news/252445755/Atlassian-HipChat-shutdown-surprises-enterprise-IT-pros',
    reason: 'sender gone: Atlassian discontinued HipChat Cloud (and Stride) on 15 February 2019',
  },
]

/** Finds a provider by name, user modules first. */
export const findProvider = (name: string, extra: Provider[] = []): Provider | undefined =>
  extra.find((p) => p.name === name) ?? builtinProviders.find((p) => p.name === name)
