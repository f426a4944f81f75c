server {
    listen 8081;
    server_name api.example.com;
    include snippets/tls-upstream/*.conf;

    location /v1/ {
        if ($request_method = POST) {
            proxy_pass https://[::1]:8445;
        }
        proxy_pass https://127.0.0.1:8445;
    }

    location /plain/ {
        proxy_pass http://127.0.0.1:8080/;
    }
}
