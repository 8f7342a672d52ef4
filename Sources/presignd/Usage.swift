enum Usage {
    static let text = """
    usage: presignd [COMMAND] [OPTIONS]

    commands:
      serve            serve FastCGI (unix socket, TCP, fd 0 or systemd socket); the default
                       when started by a web server; plain CGI when started as a CGI program
      check-config     print the effective configuration, secrets masked, and exit non-zero on errors
      migrate          apply the database migrations (safe to run on every deploy);
                       --to N stops after version N (staged upgrades)
      bucket-setup     give the bucket CORS for PRESIGND_CORS_ORIGINS, blocked public access and a rule
                       that aborts incomplete multipart uploads (idempotent) [--dry-run]
      sweep            expire uploads left unfinished, finish interrupted deletes [--dry-run] [--older-than S]
      deliver          deliver events to the webhook endpoints (PRESIGND_WEBHOOKS) until stopped,
                       for a unit of its own (serve's first worker delivers otherwise)
      events           events list [--state pending|delivered|dead] [--endpoint NAME] [--limit N];
                       events replay EVENT_ID|--dead [--endpoint NAME] (dead letters due again)
      revoke           revoke --user USER_ID: refuse every token and media cookie issued to the user
                       before now; revoke --cdn-key KEY_PAIR_ID: refuse every cookie the key signed
                       (within 1 s on every host) [--reason TEXT]
      presign          sign an S3 URL or POST form: presign get|put|post|head|delete s3://BUCKET/KEY …
      cloudfront       sign a CloudFront URL or cookies: cloudfront url|cookies …
      --version        print the version
    """
}
