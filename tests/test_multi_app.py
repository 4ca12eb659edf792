"""Two TracheaLogin instances for two apps in one process, one database, one JWT secret."""

from __future__ import annotations

from fastapi import Request

from .conftest import assert_error, assert_product_error, bearer


async def test_a_token_of_app_a_is_refused_by_app_b_routes_and_dependencies(serve):
    app_a = await serve("app-a")
    app_b = await serve("app-b")
    assert app_a.trachea.settings.jwt_secret == app_b.trachea.settings.jwt_secret
    tokens_a = await app_a.register_user("alice")
    await app_b.login("alice")  # alice is a member of both apps

    token_a = bearer(tokens_a["access_token"])
    assert (await app_a.client.get("/whoami", headers=token_a)).status_code == 200
    assert_product_error(await app_b.client.get("/whoami", headers=token_a), 401, "INVALID_TOKEN")
    assert_product_error(await app_b.client.get("/pro", headers=token_a), 401, "INVALID_TOKEN")
    assert_error(await app_b.client.get("/auth/users/me", headers=token_a), 401, "INVALID_TOKEN")
    assert_error(await app_b.client.post("/auth/logout", headers=token_a), 401, "INVALID_TOKEN")
    assert (await app_b.client.get("/maybe", headers=token_a)).json() == {"sub": None}


async def test_instances_keep_their_own_settings(serve):
    app_a = await serve("app-a", access_token_expire_minutes=5)
    app_b = await serve("app-b", access_token_expire_minutes=60)
    a = await app_a.register_user("alice")
    b = (await app_b.login("alice")).json()
    assert (a["expires_in"], b["expires_in"]) == (300, 3600)


async def test_module_level_dependencies_refuse_to_pick_among_several_instances(
    register, make_trachea
):
    import httpx
    from asgi_lifespan import LifespanManager
    from fastapi import Depends, FastAPI

    from trachea_login import get_current_user

    await register("app-a")
    await register("app-b")
    a, b = make_trachea("app-a"), make_trachea("app-b")
    app = FastAPI()
    app.include_router(a.router, prefix="/a")
    app.include_router(b.router, prefix="/b")

    @app.get("/ambiguous")
    async def ambiguous(user=Depends(get_current_user)):  # pragma: no cover - must not run
        return {"sub": user.sub}

    from contextlib import asynccontextmanager

    @asynccontextmanager
    async def both(application):
        async with a.lifespan(application), b.lifespan(application):
            yield

    app.router.lifespan_context = both
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            tokens = (
                await client.post(
                    "/a/register", json={"username": "alice", "password": "a long passphrase"}
                )
            ).json()
            response = await client.get("/ambiguous", headers=bearer(tokens["access_token"]))
            assert response.status_code == 500
            assert response.json()["detail"]["error"] == "INTERNAL_ERROR"


async def test_module_level_dependencies_serve_the_single_instance(register, make_trachea):
    import httpx
    from asgi_lifespan import LifespanManager
    from fastapi import Depends, FastAPI

    from trachea_login import get_current_user, get_current_user_optional, require_role

    await register("app1")
    trachea = make_trachea("app1")
    app = FastAPI(lifespan=trachea.lifespan)
    app.include_router(trachea.router, prefix="/auth")

    @app.get("/me")
    async def me(user=Depends(get_current_user)):
        return {"sub": user.sub}

    @app.get("/maybe")
    async def maybe(user=Depends(get_current_user_optional)):
        return {"sub": user.sub if user else None}

    @app.get("/admin")
    async def admin(user=Depends(require_role(role="admin"))):
        return {"ok": True}

    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            tokens = (
                await client.post(
                    "/auth/register", json={"username": "alice", "password": "a long passphrase"}
                )
            ).json()
            auth = bearer(tokens["access_token"])
            assert (await client.get("/me", headers=auth)).json() == {"sub": "alice"}
            assert (await client.get("/maybe")).json() == {"sub": None}
            assert (await client.get("/me")).status_code == 401
            forbidden = await client.get("/admin", headers=auth)
            assert forbidden.status_code == 403
            assert forbidden.json()["detail"]["error"] == "INSUFFICIENT_ROLE"


async def test_two_instances_mounted_in_one_app_have_their_own_route_names(register, make_trachea):
    import httpx
    from asgi_lifespan import LifespanManager
    from fastapi import FastAPI

    from trachea_login._routing import walk_routes

    await register("shop")
    await register("blog")
    shop, blog = make_trachea("shop"), make_trachea("blog")
    app = FastAPI()
    app.include_router(shop.router, prefix="/shop")
    app.include_router(blog.router, prefix="/blog")

    @app.get("/links")
    async def links(request: Request):
        return {
            "shop_login": str(request.url_for(shop.route_name("login"))),
            "blog_refresh": str(request.url_for(blog.route_name("refresh"))),
            "blog_me": str(request.url_for(blog.route_name("read_me"))),
        }

    names = [getattr(route, "name", None) for route in walk_routes(app.routes)]
    ours = [name for name in names if name and name.startswith("trachea_login.")]
    per_instance = len(list(walk_routes(shop.router.routes)))
    assert per_instance >= 16  # 14 routes, GET /auth/config and POST /auth/token
    assert len(ours) == len(set(ours)) == 2 * per_instance
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            assert (await client.get("/links")).json() == {
                "shop_login": "http://t/shop/login",
                "blog_refresh": "http://t/blog/refresh",
                "blog_me": "http://t/blog/users/me",
            }
            # The OpenAPI document is valid with both: no duplicate operation ids.
            operations = [
                op["operationId"]
                for path in (await client.get("/openapi.json")).json()["paths"].values()
                for op in path.values()
            ]
            assert len(operations) == len(set(operations))
