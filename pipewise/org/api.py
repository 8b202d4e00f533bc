"""API for people and organisation set-up: users, teams, territories, segments, product lines."""

from __future__ import annotations

from rest_framework import permissions, serializers, viewsets

from pipewise.core.services import configuration_save
from pipewise.org.choices import Role
from pipewise.org.models import ProductLine, Segment, Team, Territory, User
from pipewise.org.permissions import require_configure, require_user_admin
from pipewise.org.selectors import user_list
from pipewise.org.services import team_save, territory_save, user_save


class ConfigurationViewSet(viewsets.ModelViewSet):
    """Anyone signed in reads organisation set-up; admins and sales ops change it."""

    def check_permissions(self, request):
        super().check_permissions(request)
        if request.method not in permissions.SAFE_METHODS:
            require_configure(request.user)

    def perform_create(self, serializer):
        model = serializer.Meta.model
        serializer.instance = configuration_save(instance=model(), values=serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = configuration_save(
            instance=serializer.instance, values=serializer.validated_data
        )


class UserSerializer(serializers.ModelSerializer):
    roles = serializers.ListField(
        child=serializers.ChoiceField(choices=Role.choices),
        required=False,
        help_text="Role keys, e.g. ['account_executive', 'sales_manager'].",
    )
    password = serializers.CharField(
        write_only=True, required=False, allow_blank=False, style={"input_type": "password"}
    )

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "email",
            "first_name",
            "last_name",
            "title",
            "roles",
            "manager",
            "team",
            "territories",
            "is_active",
            "password",
        ]
        read_only_fields = ["is_active"]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["roles"] = sorted(r.role for r in instance.user_roles.all())
        return data


class UserViewSet(viewsets.ModelViewSet):
    """People in the sales organisation. Everyone reads; administrators change."""

    serializer_class = UserSerializer
    filterset_fields = ["team", "manager", "is_active"]
    search_fields = ["username", "first_name", "last_name", "email"]
    ordering_fields = ["id", "username", "last_name"]
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def get_queryset(self):
        return user_list()

    def check_permissions(self, request):
        super().check_permissions(request)
        if request.method not in permissions.SAFE_METHODS:
            require_user_admin(request.user)

    def _save(self, serializer, user=None):
        data = dict(serializer.validated_data)
        current = {
            "username": user.username if user else "",
            "email": user.email if user else "",
            "first_name": user.first_name if user else "",
            "last_name": user.last_name if user else "",
            "title": user.title if user else "",
            "manager": user.manager if user else None,
            "team": user.team if user else None,
            "roles": sorted(user.role_keys) if user else [],
            "territories": list(user.territories.all()) if user else [],
        }
        current.update(data)
        serializer.instance = user_save(user=user, **current)

    def perform_create(self, serializer):
        self._save(serializer)

    def perform_update(self, serializer):
        self._save(serializer, serializer.instance)


class TerritorySerializer(serializers.ModelSerializer):
    class Meta:
        model = Territory
        fields = ["id", "name", "code", "level", "parent"]


class TerritoryViewSet(ConfigurationViewSet):
    """Sales territories as a tree: region → country → area."""

    queryset = Territory.objects.all()
    serializer_class = TerritorySerializer
    filterset_fields = ["level", "parent"]
    search_fields = ["name", "code"]
    ordering_fields = ["id", "name"]

    def perform_create(self, serializer):
        serializer.instance = territory_save(**serializer.validated_data)

    def perform_update(self, serializer):
        data = {f: getattr(serializer.instance, f) for f in ("name", "code", "level", "parent")}
        data.update(serializer.validated_data)
        serializer.instance = territory_save(territory=serializer.instance, **data)


class TeamSerializer(serializers.ModelSerializer):
    class Meta:
        model = Team
        fields = ["id", "name", "manager", "territory"]


class TeamViewSet(ConfigurationViewSet):
    """Sales teams and their managers."""

    queryset = Team.objects.all()
    serializer_class = TeamSerializer
    search_fields = ["name"]
    ordering_fields = ["id", "name"]

    def perform_create(self, serializer):
        serializer.instance = team_save(**serializer.validated_data)

    def perform_update(self, serializer):
        data = {f: getattr(serializer.instance, f) for f in ("name", "manager", "territory")}
        data.update(serializer.validated_data)
        serializer.instance = team_save(team=serializer.instance, **data)


class SegmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Segment
        fields = ["id", "name"]


class SegmentViewSet(ConfigurationViewSet):
    """Market segments."""

    queryset = Segment.objects.all()
    serializer_class = SegmentSerializer
    search_fields = ["name"]
    ordering_fields = ["id", "name"]


class ProductLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProductLine
        fields = ["id", "name"]


class ProductLineViewSet(ConfigurationViewSet):
    """Product lines."""

    queryset = ProductLine.objects.all()
    serializer_class = ProductLineSerializer
    search_fields = ["name"]
    ordering_fields = ["id", "name"]
