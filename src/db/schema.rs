//! Table definitions shared by both backends; kept in step with `migrations/`.

diesel::table! {
    accounts (id) {
        id -> BigInt,
        kind -> Text,
        username -> Text,
        domain -> Nullable<Text>,
        display_name -> Text,
        note -> Text,
        ap_id -> Text,
        url -> Nullable<Text>,
        inbox_url -> Text,
        shared_inbox_url -> Nullable<Text>,
        outbox_url -> Nullable<Text>,
        followers_url -> Nullable<Text>,
        following_url -> Nullable<Text>,
        featured_url -> Nullable<Text>,
        public_key_pem -> Text,
        private_key_pem -> Nullable<Text>,
        locked -> Bool,
        discoverable -> Bool,
        bot -> Bool,
        fields -> Text,
        avatar_url -> Nullable<Text>,
        header_url -> Nullable<Text>,
        followers_count -> Integer,
        following_count -> Integer,
        statuses_count -> Integer,
        last_status_at -> Nullable<Timestamp>,
        suspended -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        fetched_at -> Nullable<Timestamp>,
        deleted_at -> Nullable<Timestamp>,
        moved_to_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    account_versions (id) {
        id -> BigInt,
        version -> BigInt,
    }
}

diesel::table! {
    account_aliases (account_id, alias) {
        account_id -> BigInt,
        alias -> Text,
    }
}

diesel::table! {
    sso_identities (issuer, subject) {
        issuer -> Text,
        subject -> Text,
        user_id -> BigInt,
        email -> Text,
        created_at -> Timestamp,
        last_sign_in_at -> Timestamp,
    }
}

diesel::table! {
    sso_logins (state_hash) {
        state_hash -> Text,
        browser_hash -> Text,
        verifier -> Text,
        nonce -> Text,
        next -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    users (id) {
        id -> BigInt,
        account_id -> BigInt,
        email -> Text,
        password_hash -> Text,
        role -> Text,
        approved -> Bool,
        disabled -> Bool,
        locale -> Text,
        created_at -> Timestamp,
        last_active_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    communities (account_id) {
        account_id -> BigInt,
        membership_policy -> Text,
        posting_policy -> Text,
        visibility -> Text,
        rules -> Text,
        moderators_url -> Nullable<Text>,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    community_moderators (community_id, account_id) {
        community_id -> BigInt,
        account_id -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    statuses (id) {
        id -> BigInt,
        account_id -> BigInt,
        community_id -> Nullable<BigInt>,
        in_reply_to_id -> Nullable<BigInt>,
        in_reply_to_account_id -> Nullable<BigInt>,
        thread_root_id -> Nullable<BigInt>,
        reblog_of_id -> Nullable<BigInt>,
        ap_id -> Text,
        url -> Nullable<Text>,
        title -> Nullable<Text>,
        source -> Text,
        content -> Text,
        spoiler_text -> Text,
        sensitive -> Bool,
        visibility -> Text,
        language -> Nullable<Text>,
        local -> Bool,
        replies_count -> Integer,
        reblogs_count -> Integer,
        favourites_count -> Integer,
        created_at -> Timestamp,
        edited_at -> Nullable<Timestamp>,
        deleted_at -> Nullable<Timestamp>,
        removed_at -> Nullable<Timestamp>,
        locked -> Bool,
        pinned_at -> Nullable<Timestamp>,
        profile_pinned_at -> Nullable<Timestamp>,
        search_text -> Text,
        version -> BigInt,
    }
}

diesel::table! {
    mentions (status_id, account_id) {
        status_id -> BigInt,
        account_id -> BigInt,
    }
}

diesel::table! {
    follows (id) {
        id -> BigInt,
        account_id -> BigInt,
        target_account_id -> BigInt,
        state -> Text,
        ap_id -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    favourites (id) {
        id -> BigInt,
        account_id -> BigInt,
        status_id -> BigInt,
        ap_id -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    notifications (id) {
        id -> BigInt,
        account_id -> BigInt,
        from_account_id -> BigInt,
        kind -> Text,
        status_id -> Nullable<BigInt>,
        read -> Bool,
        created_at -> Timestamp,
        report_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    instance_policies (domain) {
        domain -> Text,
        policy -> Text,
        reason -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    oauth_apps (id) {
        id -> BigInt,
        name -> Text,
        website -> Nullable<Text>,
        redirect_uris -> Text,
        scopes -> Text,
        client_id -> Text,
        client_secret_hash -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    oauth_tokens (id) {
        id -> BigInt,
        app_id -> BigInt,
        user_id -> Nullable<BigInt>,
        token_hash -> Text,
        refresh_token_hash -> Nullable<Text>,
        scopes -> Text,
        created_at -> Timestamp,
        expires_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    thread_activity (root_id) {
        root_id -> BigInt,
        community_id -> BigInt,
        activity_id -> BigInt,
    }
}

diesel::table! {
    questions (status_id) {
        status_id -> BigInt,
        community_id -> BigInt,
        answer_id -> Nullable<BigInt>,
        answered_at -> Nullable<Timestamp>,
        removed_answer_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    sign_in_failures (key) {
        key -> Text,
        failures -> Integer,
        last_at -> Timestamp,
    }
}

diesel::table! {
    web_sessions (id) {
        id -> BigInt,
        user_id -> BigInt,
        token_hash -> Text,
        created_at -> Timestamp,
        last_used_at -> Timestamp,
    }
}

diesel::table! {
    oauth_codes (code_hash) {
        code_hash -> Text,
        app_id -> BigInt,
        user_id -> BigInt,
        redirect_uri -> Text,
        scopes -> Text,
        code_challenge -> Nullable<Text>,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    activities (id) {
        id -> BigInt,
        ap_id -> Text,
        kind -> Text,
        actor_id -> BigInt,
        object_ap_id -> Nullable<Text>,
        data -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    deliveries (id) {
        id -> BigInt,
        activity_id -> BigInt,
        inbox_url -> Text,
        domain -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        last_error -> Nullable<Text>,
        delivered_at -> Nullable<Timestamp>,
        failed_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    received_activities (ap_id) {
        ap_id -> Text,
        received_at -> Timestamp,
    }
}

diesel::table! {
    instances (domain) {
        domain -> Text,
        failing_since -> Nullable<Timestamp>,
        last_success_at -> Nullable<Timestamp>,
        software -> Nullable<Text>,
    }
}

diesel::table! {
    instance_settings (key) {
        key -> Text,
        value -> Text,
    }
}

diesel::table! {
    community_bans (community_id, account_id) {
        community_id -> BigInt,
        account_id -> BigInt,
        reason -> Text,
        expires_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    community_invites (id) {
        id -> BigInt,
        community_id -> BigInt,
        token_hash -> Text,
        created_by -> BigInt,
        max_uses -> Nullable<Integer>,
        uses -> Integer,
        expires_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    reports (id) {
        id -> BigInt,
        community_id -> BigInt,
        reporter_id -> BigInt,
        target_account_id -> BigInt,
        status_id -> Nullable<BigInt>,
        comment -> Text,
        ap_id -> Nullable<Text>,
        resolved_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        assigned_account_id -> Nullable<BigInt>,
        resolved_by_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    moderation_log (id) {
        id -> BigInt,
        community_id -> BigInt,
        moderator_id -> Nullable<BigInt>,
        action -> Text,
        target_account_id -> Nullable<BigInt>,
        target_status_id -> Nullable<BigInt>,
        reason -> Text,
        expires_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    bookmarks (id) {
        id -> BigInt,
        account_id -> BigInt,
        status_id -> BigInt,
        created_at -> Timestamp,
        note -> Text,
    }
}

diesel::table! {
    bookmark_tags (bookmark_id, tag) {
        bookmark_id -> BigInt,
        account_id -> BigInt,
        tag -> Text,
    }
}

diesel::table! {
    status_edits (id) {
        id -> BigInt,
        status_id -> BigInt,
        title -> Nullable<Text>,
        content -> Text,
        spoiler_text -> Text,
        sensitive -> Bool,
        created_at -> Timestamp,
        media_ids -> Text,
    }
}

diesel::table! {
    blocks (id) {
        id -> BigInt,
        account_id -> BigInt,
        target_account_id -> BigInt,
        ap_id -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    mutes (id) {
        id -> BigInt,
        account_id -> BigInt,
        target_account_id -> BigInt,
        notifications -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    markers (account_id, timeline) {
        account_id -> BigInt,
        timeline -> Text,
        last_read_id -> Text,
        version -> Integer,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    status_tags (status_id, tag) {
        status_id -> BigInt,
        tag -> Text,
    }
}

diesel::table! {
    home_feed (account_id, status_id) {
        account_id -> BigInt,
        status_id -> BigInt,
    }
}

diesel::table! {
    followed_tags (id) {
        id -> BigInt,
        account_id -> BigInt,
        tag -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    lists (id) {
        id -> BigInt,
        account_id -> BigInt,
        title -> Text,
        replies_policy -> Text,
        exclusive -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    list_accounts (list_id, account_id) {
        list_id -> BigInt,
        account_id -> BigInt,
    }
}

diesel::table! {
    filters (id) {
        id -> BigInt,
        account_id -> BigInt,
        title -> Text,
        context -> Text,
        filter_action -> Text,
        expires_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    filter_keywords (id) {
        id -> BigInt,
        filter_id -> BigInt,
        keyword -> Text,
        whole_word -> Bool,
    }
}

diesel::table! {
    media_attachments (id) {
        id -> BigInt,
        account_id -> BigInt,
        status_id -> Nullable<BigInt>,
        position -> Integer,
        kind -> Text,
        content_type -> Text,
        file_key -> Nullable<Text>,
        preview_key -> Nullable<Text>,
        remote_url -> Nullable<Text>,
        description -> Nullable<Text>,
        focus_x -> Nullable<Float>,
        focus_y -> Nullable<Float>,
        width -> Nullable<Integer>,
        height -> Nullable<Integer>,
        preview_width -> Nullable<Integer>,
        preview_height -> Nullable<Integer>,
        blurhash -> Nullable<Text>,
        file_size -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    polls (status_id) {
        status_id -> BigInt,
        multiple -> Bool,
        hide_totals -> Bool,
        expires_at -> Nullable<Timestamp>,
        voters_count -> Integer,
        ended_at -> Nullable<Timestamp>,
        counts_changed_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    poll_options (status_id, position) {
        status_id -> BigInt,
        position -> Integer,
        title -> Text,
        votes_count -> Integer,
    }
}

diesel::table! {
    poll_votes (id) {
        id -> BigInt,
        status_id -> BigInt,
        account_id -> BigInt,
        choice -> Integer,
        ap_id -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    link_cards (url) {
        url -> Text,
        state -> Text,
        title -> Text,
        description -> Text,
        image_url -> Nullable<Text>,
        provider_name -> Text,
        attempts -> Integer,
        fetched_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    status_links (status_id) {
        status_id -> BigInt,
        url -> Text,
        title -> Nullable<Text>,
        image_url -> Nullable<Text>,
    }
}

diesel::joinable!(users -> accounts (account_id));
diesel::joinable!(communities -> accounts (account_id));

diesel::allow_tables_to_appear_in_same_query!(
    account_aliases,
    accounts,
    users,
    sso_identities,
    sso_logins,
    communities,
    community_moderators,
    statuses,
    mentions,
    follows,
    favourites,
    notifications,
    instance_policies,
    oauth_apps,
    oauth_tokens,
    web_sessions,
    sign_in_failures,
    thread_activity,
    questions,
    oauth_codes,
    activities,
    deliveries,
    received_activities,
    instances,
    instance_settings,
    community_bans,
    community_invites,
    reports,
    moderation_log,
    bookmarks,
    bookmark_tags,
    status_edits,
    blocks,
    mutes,
    markers,
    status_tags,
    home_feed,
    followed_tags,
    lists,
    list_accounts,
    filters,
    filter_keywords,
    media_attachments,
    polls,
    poll_options,
    poll_votes,
    link_cards,
    status_links,
);
