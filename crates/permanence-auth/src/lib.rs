//! Who may see and do what: the rules of access, the credentials that prove who is asking,
//! and the audit chain that records who read which child's or case's record.
//!
//! It is responsible for: the [`Role`]s and the [`Principal`] of a request; the policy, in
//! one place ([`rule`], [`authorize`], [`list_scope`]); bearer tokens ([`new_token`],
//! [`hash_token`], [`Credential`]); signed tokens from a council's identity provider
//! ([`JwtVerifier`]) and the secrets of a sign-in through its OpenID Connect provider
//! ([`SignInAttempt`]: state, nonce, PKCE); passwords ([`hash_password`], Argon2id) and the pages' sessions
//! ([`new_session`], [`SessionStatus`]); and the hash chain over audit rows ([`chain_hash`], [`verify_chain`]).
//! It is pure: no database, no HTTP, no async and no clock (`now` comes in as an argument).
//! The store fills in a [`CaseScope`] and applies a [`ListScope`]; the server reads the
//! `Authorization` header and asks the store for a token's user; the GraphQL layer calls
//! [`authorize`] in one guard per operation and maps [`Denied`] to `FORBIDDEN` and the
//! `Unauthenticated` kind of [`AuthError`] to `UNAUTHENTICATED`.
//!
//! # The policy
//!
//! Rows are [`Action`]s, columns [`Role`]s; a cell says how far the role reaches ([`Reach`]):
//! `yes` anywhere (nobody's data); `authority` anything in the user's local authorities;
//! `team` cases of the user's teams and cases not yet given to a team; `allocated` cases
//! allocated to the user; `panel` cases on the agenda of a panel meeting the user sits on;
//! `-` never. Always, and before anything else, a record must belong to one of the user's
//! local authorities: nobody sees another authority's children.
//!
//! | action                        | social worker | team manager | panel member | panel chair | agency decision maker | leader    | administrator |
//! | ----------------------------- | ------------- | ------------ | ------------ | ----------- | --------------------- | --------- | ------------- |
//! | `READ_ROUTES`                 | yes           | yes          | yes          | yes         | yes                   | yes       | yes           |
//! | `READ_OWN_PROFILE`            | yes           | yes          | yes          | yes         | yes                   | yes       | yes           |
//! | `READ_CHILD`                  | allocated     | team         | panel        | authority   | authority             | authority | -             |
//! | `LIST_CHILDREN`               | allocated     | team         | panel        | authority   | authority             | authority | -             |
//! | `READ_CASE`                   | allocated     | team         | panel        | authority   | authority             | authority | -             |
//! | `LIST_CASES`                  | allocated     | team         | panel        | authority   | authority             | authority | -             |
//! | `READ_TIMELINE`               | allocated     | team         | panel        | authority   | authority             | authority | -             |
//! | `READ_DRIFT`                  | allocated     | team         | panel        | authority   | authority             | authority | -             |
//! | `READ_PANEL_QUEUE`            | allocated     | team         | panel        | authority   | authority             | authority | -             |
//! | `REGISTER_CHILD`              | authority     | authority    | -            | -           | -                     | -         | -             |
//! | `ENTER_CARE`                  | authority     | authority    | -            | -           | -                     | -         | -             |
//! | `RECORD_PLACEMENT_CHANGE`     | allocated     | team         | -            | -           | -                     | -         | -             |
//! | `RECORD_REVIEW`               | allocated     | team         | -            | -           | -                     | -         | -             |
//! | `RECORD_HEALTH_ASSESSMENT`    | allocated     | team         | -            | -           | -                     | -         | -             |
//! | `RECORD_VISIT`                | allocated     | team         | -            | -           | -                     | -         | -             |
//! | `RECORD_SIBLING_GROUP`        | allocated     | team         | -            | -           | -                     | -         | -             |
//! | `SET_ROUTE_PLAN`              | allocated     | team         | -            | -           | -                     | -         | -             |
//! | `END_PARALLEL_PLAN`           | allocated     | team         | -            | -           | -                     | -         | -             |
//! | `RECORD_ROUTE_STEP`           | allocated     | team         | -            | -           | -                     | -         | -             |
//! | `RECORD_LEGAL_STEP`           | allocated     | team         | -            | -           | -                     | -         | -             |
//! | `RECORD_LEGAL_STEP_AT_HOME`   | authority     | authority    | -            | -           | -                     | -         | -             |
//! | `CLOSE_CASE`                  | allocated     | team         | -            | -           | -                     | -         | -             |
//! | `RECORD_MANAGER_STEP`         | -             | team         | -            | -           | -                     | -         | -             |
//! | `ALLOCATE_CASE`               | -             | team         | -            | -           | -                     | -         | -             |
//! | `SCHEDULE_PANEL_MEETING`      | -             | -            | -            | authority   | authority             | -         | -             |
//! | `LIST_PANEL_MEETINGS`         | authority     | authority    | authority    | authority   | authority             | -         | -             |
//! | `ADD_AGENDA_ITEM`             | allocated     | team         | -            | authority   | -                     | -         | -             |
//! | `RECORD_PANEL_RECOMMENDATION` | -             | -            | -            | authority   | -                     | -         | -             |
//! | `RECORD_AGENCY_DECISION`      | -             | -            | -            | -           | authority             | -         | -             |
//! | `REVERSE_ADOPTION_DECISION`   | -             | -            | -            | -           | authority             | -         | -             |
//! | `READ_TIMELINESS`             | -             | authority    | -            | -           | authority             | authority | -             |
//! | `READ_CHILDREN_WAITING`       | -             | authority    | -            | -           | authority             | authority | -             |
//! | `EXPORT_REPORT`               | -             | authority    | -            | -           | authority             | authority | -             |
//! | `READ_SETTINGS`               | authority     | authority    | authority    | authority   | authority             | authority | authority     |
//! | `MANAGE_SETTINGS`             | -             | -            | -            | -           | -                     | -         | authority     |
//! | `LIST_USERS`                  | -             | -            | -            | -           | -                     | -         | authority     |
//! | `MANAGE_USERS`                | -             | -            | -            | -           | -                     | -         | authority     |
//! | `READ_AUDIT`                  | -             | -            | -            | -           | -                     | -         | authority     |
//! | `READ_NOTIFICATIONS`          | yes           | yes          | -            | -           | -                     | yes       | -             |
//! | `ACKNOWLEDGE_NOTIFICATION`    | yes           | yes          | -            | -           | -                     | yes       | -             |
//! | `READ_WEBHOOK_DELIVERIES`     | -             | -            | -            | -           | -                     | -         | authority     |
//!
//! Every answer to a leader is [`Access::Pseudonymised`]: references only, no names, no free
//! text, no postcodes, dates of birth as month and year ([`BirthMonth`]). The [`view`]
//! module shapes each answer so (an allow-list per event kind for event data); every
//! surface that answers a reader applies it.
//!
//! Where the issue was silent, these rules were chosen:
//! - A team manager also reaches cases with no team yet, since they allocate them, and may
//!   transfer a case to any team of the authority.
//! - Panel members and chairs read only cases on their meetings' agendas; the chair records
//!   the panel's recommendation on those cases, and may put any case of the authority on an
//!   agenda. Social workers and team managers may also bring their cases to panel.
//! - The agency decision maker reads every case of the authority (a case reaches the ADM
//!   without a panel when a placement order is sought), records decisions (also for a
//!   nominated officer's approvals) and reverses the decision to place for adoption. The
//!   recommendation and the decision are kept to different roles.
//! - Registering a child and opening a case (entering care) are authority-wide for social
//!   workers and team managers; a new case should be allocated when opened, or only team
//!   managers and authority-wide roles can see it. A child not in care is visible to those
//!   who reach the authority or its unallocated cases.
//! - Timeliness figures, children waiting and exports go to team managers, agency decision
//!   makers and leaders: they hold case references, so not to administrators.
//! - Writing a case never reaches further than reading it, except bringing a case to panel.
//! - A refusal says the same whether the record is outside the user's scope or does not
//!   exist ([`Target::Case`] takes `None` for a missing case), and a role that may never do
//!   an action is refused before the record is looked at.
//!
//! # Audit
//!
//! [`Action::is_audited`] says which actions touch a child's or case's record: each record
//! they read or write is named in an [`AuditEntry`] (one per request), chained by [`chain_hash`]. [`verify_chain`]
//! finds an altered, deleted, duplicated or reordered row; see the [`audit`] module for what
//! it cannot find alone.

mod action;
pub mod audit;
mod error;
mod jwt;
mod password;
mod policy;
mod principal;
mod role;
mod session;
mod sign_in_attempt;
mod token;
pub mod view;

pub use action::{Action, ActionKind, DenialReason, Denied, StepRecorder};
pub use audit::{
    AuditEntry, AuditRead, AuditRecord, BreakReason, ChainAnchor, ChainBreak, ChainSummary,
    GENESIS_HASH, REQUEST_ACTION, chain_hash, record_kind, verify_chain, verify_chain_from,
};
pub use error::{AuthError, AuthErrorKind};
pub use jwt::{AuthorityMapping, JwtConfig, JwtVerifier};
pub use password::{
    MAX_PASSWORD_BYTES, MIN_PASSWORD_CHARS, check_new_password, hash_password,
    verify_against_nothing, verify_password,
};
pub use policy::{
    Access, BirthMonth, CaseFilter, CaseScope, ChildScope, ListScope, Reach, Target, authorize,
    list_scope, policy_table_markdown, rule,
};
pub use principal::{Principal, is_local_authority_code};
pub use role::Role;
pub use session::{
    NewSession, SessionPolicy, SessionStatus, csrf_matches, hash_session_secret, new_session,
};
pub use sign_in_attempt::{SignInAttempt, code_challenge};
pub use token::{
    Credential, MAX_CREDENTIAL_LEN, NewToken, TOKEN_PREFIX, TokenSecret, TokenStatus, hash_token,
    is_issued_token, new_token, token_matches,
};
