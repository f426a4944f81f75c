server {
    listen 8080;
    server_name app.example.com www.app.example.com;

    # the server level replaces http's depth for every location below
    proxy_ssl_verify_depth 3;

    location / {
        proxy_pass https://app_backend;
        include snippets/proxy-headers.conf;
    }

    location /reports/ {
        proxy_pass https://reports/;
        proxy_ssl_name reports.internal.example;
        proxy_ssl_server_name on;
        # array directive: replaces http's two conf commands, does not add to them
        proxy_ssl_conf_command Options -SessionTicket;

        location /reports/admin/ {
            proxy_pass https://reports/admin/;
            proxy_ssl_trusted_certificate certs/intermediate-only.pem;
            limit_except GET {
                proxy_pass https://127.0.0.1:9444;
            }
        }
    }

    location = /legacy {
        proxy_ssl_protocols TLSv1 TLSv1.1;
        proxy_ssl_protocols TLSv1.2;
        proxy_pass https://127.0.0.1:8444/legacy;
    }
}
