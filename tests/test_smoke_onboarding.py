from tests.harness import ChatUser


async def test_owner_signs_up(owner: ChatUser) -> None:
    turn = await owner.send("/team")
    assert "Alice Martin" in turn.text


async def test_agent_joins(agent: ChatUser, owner: ChatUser) -> None:
    turn = await owner.send("/team")
    assert "Bob Durand" in turn.text
